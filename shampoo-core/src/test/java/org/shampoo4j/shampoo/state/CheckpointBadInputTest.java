package org.shampoo4j.shampoo.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.shampoo4j.quant.dynamictree.DynamicTreeMap;
import org.shampoo4j.quant.linear2.Linear2Map;
import org.shampoo4j.shampoo.ShampooOptimizer;
import org.shampoo4j.shampoo.representation.eigen.EigenBjorckRepresentation;
import org.shampoo4j.testing.ResumeVariants;
import org.shampoo4j.testing.TrainingSession;

/**
 * Bad checkpoints never half-load: each case throws an {@link InvalidCheckpointException} whose
 * message says what and where, and the optimizer's state afterwards is byte for byte what it was.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckpointBadInputTest {
  private static final Supplier<ShampooOptimizer> EIGEN = ResumeVariants.shampoo(
      () -> EigenBjorckRepresentation.builder(new Linear2Map()).build(),
      ResumeVariants.Base.ADAMW);

  private byte[] good;
  private TrainingSession target;
  private byte[] targetState;

  @BeforeAll
  void train() throws IOException {
    try (TrainingSession source = new TrainingSession(ResumeVariants.problem(), EIGEN)) {
      source.train(4);
      good = source.saveState();
    }
    // The target has state of its own (other step count), which a failed load must keep.
    target = new TrainingSession(ResumeVariants.problem(), EIGEN);
    target.train(2);
    targetState = target.saveState();
  }

  @AfterAll
  void close() {
    target.close();
  }

  @Test
  void aGoodCheckpointLoadsAndChangesTheState() throws IOException {
    try (TrainingSession other = new TrainingSession(ResumeVariants.problem(), EIGEN)) {
      other.train(1);
      other.loadState(good);
      assertArrayEquals(good, other.saveState());
    }
  }

  @Test
  void truncatedFilesSayWhereTheyEnd() {
    for (int length : new int[] {0, 5, 8, 11, 12, 20, good.length / 2, good.length - 1}) {
      byte[] cut = java.util.Arrays.copyOf(good, length);
      String message = rejected(cut);
      assertTrue(message.startsWith("truncated checkpoint: the file ends at offset " + length),
          length + ": " + message);
    }
  }

  @Test
  void wrongMagicAndVersionAreNamed() {
    byte[] magic = good.clone();
    magic[1] = 'X';
    assertTrue(rejected(magic).contains("wrong magic number"), rejected(magic));
    byte[] version = good.clone();
    ByteBuffer.wrap(version).putInt(8, 2);
    assertEquals("unsupported checkpoint format version 2 at offset 8; this build reads version 1",
        rejected(version));
  }

  @Test
  void aFlippedByteInArrayDataFailsItsSectionsChecksum() throws IOException {
    // Flip a byte in the middle of the last parameter section's payload.
    int at = good.length - 60;
    byte[] flipped = good.clone();
    flipped[at] ^= 0x10;
    String message = rejected(flipped);
    assertTrue(message.startsWith("checksum mismatch in section 'parameter #"), message);
    assertTrue(message.endsWith("the file is corrupted"), message);
  }

  @Test
  void everySingleFlippedByteIsDetected() {
    // Every 7th byte and the first 64 (magic, version, header frame): a CRC-32 per section
    // detects every single-byte error; frame and magic bytes fail their own checks.
    for (int at = 0; at < good.length; at += at < 64 ? 1 : 7) {
      byte[] flipped = good.clone();
      flipped[at] ^= (byte) 0xA5;
      assertThrows(InvalidCheckpointException.class,
          () -> target.loadState(flipped), "flip at " + at);
    }
    assertUnchanged();
  }

  @Test
  void bytesAfterTheEndAreRejected() {
    byte[] longer = java.util.Arrays.copyOf(good, good.length + 3);
    assertEquals("unexpected bytes after the end section, at offset " + good.length,
        rejected(longer));
  }

  @Test
  void anImpossibleSectionLengthIsRejectedBeforeAllocating() {
    byte[] huge = good.clone();
    ByteBuffer.wrap(huge).putLong(12 + 1, Long.MAX_VALUE / 2);
    assertTrue(rejected(huge).contains("declares an impossible length"), rejected(huge));
    // A plausible but false length on a short file: read in chunks, fails at the file's end.
    byte[] lying = good.clone();
    ByteBuffer.wrap(lying).putLong(12 + 1, CheckpointFile.MAX_SECTION_BYTES);
    assertTrue(rejected(lying).startsWith("truncated checkpoint"), rejected(lying));
  }

  @Test
  void anotherConfigurationIsNamedKeyByKey() throws IOException {
    Supplier<ShampooOptimizer> dynamicTree = ResumeVariants.shampoo(
        () -> EigenBjorckRepresentation.builder(new DynamicTreeMap()).build(),
        ResumeVariants.Base.ADAMW);
    try (TrainingSession other = new TrainingSession(ResumeVariants.problem(), dynamicTree)) {
      other.train(2);
      byte[] before = other.saveState();
      InvalidCheckpointException e =
          assertThrows(InvalidCheckpointException.class, () -> other.loadState(good));
      assertEquals("the checkpoint was written with another configuration:"
          + " representation.configuration: checkpoint 'eigen-bjorck[linear2, t1=1, t2=4]',"
          + " optimizer 'eigen-bjorck[dynamic-tree, t1=1, t2=4]'", e.getMessage());
      assertArrayEquals(before, other.saveState());
    }
  }

  @Test
  void anotherKindOfOptimizerIsNamed() throws IOException {
    byte[] adapter;
    try (TrainingSession alone = new TrainingSession(
        ResumeVariants.problem(), ResumeVariants.alone(ResumeVariants.Base.ADAMW))) {
      alone.train(1);
      adapter = alone.saveState();
    }
    assertEquals("the checkpoint holds the state of a 'base-optimizer' optimizer, this is a"
        + " 'shampoo' optimizer", rejected(adapter));
  }

  @Test
  void aMissingParameterIsNamed() throws IOException {
    byte[] missing = rewrite(c -> withParameters(c, c.parameters().subList(1, c.parameters().size())));
    assertEquals("the checkpoint's parameters differ from the model's: missing from the checkpoint"
        + " [01Linear_weight]", rejected(missing));
  }

  @Test
  void anExtraParameterIsNamed() throws IOException {
    byte[] extra = rewrite(c -> {
      List<ParameterRecord> ps = new ArrayList<>(c.parameters());
      ps.add(new ParameterRecord("99Linear_weight", new Shape(3, 3), StateSnapshot.EMPTY));
      return withParameters(c, ps);
    });
    assertEquals("the checkpoint's parameters differ from the model's: not in the model"
        + " [99Linear_weight]", rejected(extra));
  }

  @Test
  void aShapeMismatchIsNamed() throws IOException {
    byte[] reshaped = rewrite(c -> {
      List<ParameterRecord> ps = new ArrayList<>(c.parameters());
      ParameterRecord first = ps.get(0);
      ps.set(0, new ParameterRecord(first.name(), new Shape(16, 21), first.state()));
      return withParameters(c, ps);
    });
    assertEquals("parameter '01Linear_weight' has shape (16, 21) in the checkpoint but (16, 20)"
        + " in the model", rejected(reshaped));
  }

  @Test
  void aWrongArrayInTheLastParameterLeavesEveryEarlierOneUntouched() throws IOException {
    // Valid checksums, matching configuration: only the state's own check can catch it, after
    // the earlier parameters were already read.
    byte[] bad = rewrite(c -> {
      List<ParameterRecord> ps = new ArrayList<>(c.parameters());
      int last = lastPreconditioned(ps);
      ParameterRecord r = ps.get(last);
      StateSnapshot.Builder b = StateSnapshot.builder();
      r.state().counters().forEach(b::counter);
      r.state().arrays().forEach((k, v) -> b.array(k, k.equals("block0.R.values")
          ? new HostArray(v.dataType(), new Shape(v.shape().get(0) - 1),
              java.util.Arrays.copyOf(v.data(), v.byteCount() - 4))
          : v));
      ps.set(last, new ParameterRecord(r.name(), r.shape(), b.build()));
      return withParameters(c, ps);
    });
    String message = rejected(bad);
    assertTrue(message.matches("parameter '\\w+': block 0 R: array 'values' is float32 \\(\\d+\\)"
        + " in the checkpoint, but the optimizer holds float32 \\(\\d+\\)"), message);
  }

  @Test
  void anEntryTheStateDoesNotHoldIsNamed() throws IOException {
    byte[] bad = rewrite(c -> {
      List<ParameterRecord> ps = new ArrayList<>(c.parameters());
      ParameterRecord r = ps.get(0);
      ps.set(0, new ParameterRecord(r.name(), r.shape(),
          StateSnapshot.builder().include("x", StateSnapshot.EMPTY).counter("bogus", 1)
              .build()));
      return withParameters(c, ps);
    });
    assertEquals("parameter '01Linear_weight': the checkpoint has no counter 'step'", rejected(bad));
    byte[] extra = rewrite(c -> {
      List<ParameterRecord> ps = new ArrayList<>(c.parameters());
      ParameterRecord r = ps.get(0);
      StateSnapshot.Builder b = StateSnapshot.builder();
      r.state().counters().forEach(b::counter);
      r.state().arrays().forEach(b::array);
      ps.set(0, new ParameterRecord(r.name(), r.shape(), b.counter("bogus", 1).build()));
      return withParameters(c, ps);
    });
    assertEquals("parameter '01Linear_weight': the checkpoint has entries this state does not"
        + " hold: [bogus]", rejected(extra));
  }

  private static int lastPreconditioned(List<ParameterRecord> ps) {
    for (int i = ps.size() - 1; i >= 0; i--) {
      if (ps.get(i).state().counters().containsKey("block0.hasRoot")) {
        return i;
      }
    }
    throw new AssertionError("no preconditioned parameter");
  }

  private static CheckpointContents withParameters(
      CheckpointContents c, List<ParameterRecord> parameters) {
    return new CheckpointContents(c.kind(), c.fingerprint(), c.counters(), parameters);
  }

  private byte[] rewrite(UnaryOperator<CheckpointContents> change) throws IOException {
    CheckpointContents c = CheckpointFile.read(new ByteArrayInputStream(good));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointFile.write(out, change.apply(c));
    return out.toByteArray();
  }

  /** Loads {@code bytes} into the target, expects a rejection, checks the state kept, returns the message. */
  private String rejected(byte[] bytes) {
    InvalidCheckpointException e =
        assertThrows(InvalidCheckpointException.class, () -> target.loadState(bytes));
    assertUnchanged();
    return e.getMessage();
  }

  private void assertUnchanged() {
    try {
      assertArrayEquals(targetState, target.saveState(), "the target's state changed");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void fileSizeIsTheMemoryReportPlusASmallHeader() throws IOException {
    CheckpointContents c = CheckpointFile.read(new ByteArrayInputStream(targetState));
    long reported = ((ShampooOptimizer) target.optimizer()).memoryReport().total().total();
    assertEquals(reported, c.dataBytes(), "array bytes equal the memory report's bytes");
    long entries = c.parameters().stream()
        .mapToLong(p -> 1 + p.state().arrays().size() + p.state().counters().size()).sum();
    long overhead = targetState.length - reported;
    assertTrue(overhead <= 512 + 96 * entries,
        "header of " + overhead + " bytes for " + entries + " entries");
    Map<String, Long> unused = c.counters();
    assertEquals(Map.of("skippedUpdates", 0L), unused);
  }
}
