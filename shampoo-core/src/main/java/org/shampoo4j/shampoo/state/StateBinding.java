package org.shampoo4j.shampoo.state;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Ties a checkpoint's parameter records to a model's parameters: by stable name on save (state
 * keyed by optimizer id goes under the parameter's name) and by name on load, where the kind, the
 * configuration fingerprint, the parameter names and their shapes must all agree.
 */
public final class StateBinding {
  /** The optimizer-wide counter every checkpoint's end section holds. */
  public static final String SKIPPED_UPDATES = "skippedUpdates";

  /**
   * Fingerprint keys that checkpoints written by earlier versions carry and loading ignores:
   * {@code nonFinitePolicy}, since the non-finite policy decides only what happens to a bad
   * gradient and never what a good step computes, so a state continues the same under any policy
   * (a checkpoint written under {@code THROW} loads under the default {@code GUARDED}).
   */
  public static final Set<String> IGNORED_FINGERPRINT_KEYS = Set.of("nonFinitePolicy");

  private StateBinding() {}

  /**
   * A checkpoint read and matched to the model.
   *
   * @param parameters each parameter of the model with its record
   * @param skippedUpdates the optimizer's count of skipped updates
   */
  public record Loaded(List<Bound> parameters, long skippedUpdates) {}

  /**
   * A parameter of the model with the record the checkpoint holds for it.
   *
   * @param parameter the model's parameter
   * @param record the checkpoint's record of the same name and shape
   */
  public record Bound(ParameterSet.Entry parameter, ParameterRecord record) {}

  /**
   * The contents to save: one record per parameter of {@code parameters}, with the state {@code
   * stateById} gives for its id.
   *
   * @param stateKeys the ids the optimizer holds state for; each must be a parameter of the set
   * @throws IllegalStateException naming a state key that is not a parameter of the set
   */
  public static CheckpointContents contents(String kind, Fingerprint fingerprint,
      long skippedUpdates, ParameterSet parameters, Collection<String> stateKeys,
      Function<String, StateSnapshot> stateById) {
    for (String key : stateKeys) {
      if (parameters.byId(key).isEmpty()) {
        throw new IllegalStateException("the optimizer holds state for parameter id '" + key
            + "', which is not in the given parameters (another model, or a replica on a second"
            + " device, which checkpoints do not support)");
      }
    }
    List<ParameterRecord> records = new ArrayList<>();
    for (ParameterSet.Entry e : parameters.entries()) {
      records.add(new ParameterRecord(e.name(), e.array().getShape(), stateById.apply(e.id())));
    }
    return new CheckpointContents(
        kind, fingerprint, Map.of(SKIPPED_UPDATES, skippedUpdates), records);
  }

  /**
   * Reads a whole checkpoint ({@link CheckpointFile#read}) and matches it to the model ({@link
   * #bind}).
   *
   * @throws InvalidCheckpointException if the file is bad or does not fit the optimizer or model
   */
  public static Loaded read(InputStream in, String kind, Fingerprint expected,
      ParameterSet parameters) throws IOException {
    CheckpointContents contents = CheckpointFile.read(in);
    List<Bound> bound = bind(contents, kind, expected, parameters);
    Long skipped = contents.counters().get(SKIPPED_UPDATES);
    if (skipped == null || skipped < 0 || contents.counters().size() != 1) {
      throw new InvalidCheckpointException("the end section must hold exactly the counter '"
          + SKIPPED_UPDATES + "' (non-negative), got " + contents.counters());
    }
    return new Loaded(bound, skipped);
  }

  /**
   * Matches a checkpoint to the model.
   *
   * @throws InvalidCheckpointException if the kind or configuration differs, a parameter of the
   *     model is missing from the checkpoint, the checkpoint has one the model lacks, or a shape
   *     differs
   */
  public static List<Bound> bind(CheckpointContents contents, String kind, Fingerprint expected,
      ParameterSet parameters) throws InvalidCheckpointException {
    if (!contents.kind().equals(kind)) {
      throw new InvalidCheckpointException("the checkpoint holds the state of a '"
          + contents.kind() + "' optimizer, this is a '" + kind + "' optimizer");
    }
    List<String> diff = contents.fingerprint().without(IGNORED_FINGERPRINT_KEYS)
        .differences(expected.without(IGNORED_FINGERPRINT_KEYS), "checkpoint", "optimizer");
    if (!diff.isEmpty()) {
      throw new InvalidCheckpointException(
          "the checkpoint was written with another configuration: " + String.join("; ", diff));
    }
    TreeSet<String> missing = new TreeSet<>();
    for (ParameterSet.Entry e : parameters.entries()) {
      missing.add(e.name());
    }
    TreeSet<String> extra = new TreeSet<>();
    List<Bound> out = new ArrayList<>();
    for (ParameterRecord r : contents.parameters()) {
      Optional<ParameterSet.Entry> e = parameters.byName(r.name());
      if (e.isEmpty()) {
        extra.add(r.name());
        continue;
      }
      missing.remove(r.name());
      if (!e.get().array().getShape().equals(r.shape())) {
        throw new InvalidCheckpointException("parameter '" + r.name() + "' has shape "
            + r.shape() + " in the checkpoint but " + e.get().array().getShape()
            + " in the model");
      }
      out.add(new Bound(e.get(), r));
    }
    if (!missing.isEmpty() || !extra.isEmpty()) {
      throw new InvalidCheckpointException("the checkpoint's parameters differ from the model's:"
          + (missing.isEmpty() ? "" : " missing from the checkpoint " + missing)
          + (extra.isEmpty() ? "" : " not in the model " + extra));
    }
    return out;
  }
}
