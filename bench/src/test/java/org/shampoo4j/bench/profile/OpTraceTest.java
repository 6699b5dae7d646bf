package org.shampoo4j.bench.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.JsonUtils;
import com.google.gson.JsonArray;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpTraceTest {

  private static String event(String name, double ts, double dur) {
    return "{\"name\":\"" + name + "\",\"ph\":\"X\",\"ts\":" + ts + ",\"dur\":" + dur
        + ",\"tid\":1,\"pid\":\"CPU Functions\"}";
  }

  @Test
  void nestedEventsCountOnceAsCallsAndInnermostComputingOnesAsKernels() {
    // matmul -> mm (kernel) + resolve_conj (no kernel); add (kernel); abs -> empty + abs (kernel).
    String json = "[" + String.join(",",
        event("aten::resolve_conj", 2, 1),
        event("aten::mm", 4, 10),
        event("aten::matmul", 1, 20),
        event("aten::add", 30, 5),
        event("aten::empty", 41, 1),
        event("aten::abs", 43, 2),
        event("aten::abs", 40, 6)) + "]";
    OpTrace.Counts c = OpTrace.count(JsonUtils.GSON.fromJson(json, JsonArray.class), 100, 0, 0);
    assertEquals(3, c.calls());
    assertEquals(3, c.kernels());
    assertEquals(31, c.opMicros(), 1e-9);
    assertEquals("aten::abs", c.topCalls().get(0).getKey());
  }

  @Test
  void tracesRealOperatorCalls(@TempDir Path dir) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.ones(new Shape(8, 8));
      OpTrace.Counts c = OpTrace.trace(() -> x.matMul(x).add(1f).sqrt(), dir);
      assertEquals(3, c.calls(), c.topCalls().toString());
      assertTrue(c.kernels() >= 3, "kernels " + c.kernels());
      assertTrue(c.wallMicros() >= c.opMicros());
      assertEquals(0, c.hostReads(), "device-side operations read nothing");
      assertEquals(1, c.hostWrites(), "add(1f) makes its operand from Java memory");
    }
  }

  @Test
  void countsEveryDeviceToHostRead(@TempDir Path dir) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.ones(new Shape(8, 8));
      OpTrace.Counts c = OpTrace.trace(() -> {
        x.sum().getFloat();
        x.toFloatArray();
        x.gt(0f).getBoolean(0, 0);
        x.contentEquals(x.duplicate());
      }, dir);
      assertEquals(4, c.hostReads());
    }
  }

  @Test
  void countsEveryArrayMadeFromJavaMemory(@TempDir Path dir) {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray x = m.ones(new Shape(8, 8));
      OpTrace.Counts c = OpTrace.trace(() -> {
        m.create(new float[] {1f, 2f});
        x.mul(2);
        m.zeros(new Shape(3));
        m.full(new Shape(2), 5f);
        x.addi(x);
      }, dir);
      assertEquals(2, c.hostWrites(), "create and a Java number; zeros, full and addi are made"
          + " on the device");
      assertEquals(0, c.hostReads());
    }
  }
}
