package org.shampoo4j.shampoo.base;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.shampoo4j.quant.MemoryFootprint;
import org.shampoo4j.shampoo.memory.DeviceMemory;

/**
 * A base optimizer run alone on several devices reports each device's full state (every replica
 * keeps its own), not only the first device's.
 */
class DeviceStateTallyTest {

  @Test
  void everyReplicaCountsOnItsOwnDevice() {
    // Two "devices" as DJL's parameter server sees them: the keys name the copy's device, the
    // state itself is made on the CPU (where the test runs).
    Device first = Device.cpu();
    Device second = Device.gpu(1);
    StateKeys keys = new StateKeys();
    try (NDManager m = NDManager.newBaseManager(Device.cpu());
        AdamW adamW = AdamW.builder().build()) {
      for (Device d : List.of(first, second)) {
        for (String id : List.of("w", "b")) {
          String key = keys.key(id, d);
          long n = id.equals("w") ? 12 : 3;
          NDArray weight = m.ones(new Shape(n));
          adamW.update(key, weight, m.ones(new Shape(n)).mul(0.5f), 0.01f, 1);
        }
      }
      List<DeviceMemory> devices = DeviceStateTally.perDevice(keys.copies(), adamW::memory);

      MemoryFootprint perReplica = MemoryFootprint.ofFp32(2L * (12 + 3));
      assertEquals(List.of(
          new DeviceMemory(first.toString(), 2, MemoryFootprint.ZERO, perReplica),
          new DeviceMemory(second.toString(), 2, MemoryFootprint.ZERO, perReplica)), devices);
    }
  }

  @Test
  void copiesKeepFirstUseOrderAndTheirDevice() {
    StateKeys keys = new StateKeys();
    keys.key("w", Device.cpu());
    keys.key("w", Device.gpu(1));
    keys.key("w", Device.cpu());
    keys.key("b", Device.gpu(1));
    assertEquals(List.of(new StateKeys.Copy("w", "w", Device.cpu()),
        new StateKeys.Copy("w@" + Device.gpu(1), "w", Device.gpu(1)),
        new StateKeys.Copy("b", "b", Device.gpu(1))), keys.copies());
  }

  @Test
  void adapterReportsEveryParameterCopy() {
    try (NDManager m = NDManager.newBaseManager(Device.cpu());
        BaseOptimizerAdapter adapter = BaseOptimizerAdapter.builder()
            .baseOptimizer(AdamW.builder().build()).build()) {
      NDArray w = m.ones(new Shape(4, 5));
      NDArray b = m.ones(new Shape(5));
      for (int step = 0; step < 3; step++) {
        adapter.update("w", w, m.ones(new Shape(4, 5)).mul(0.1f));
        adapter.update("b", b, m.ones(new Shape(5)).mul(0.1f));
      }
      MemoryFootprint expected = adapter.stateMemory("w").plus(adapter.stateMemory("b"));
      assertEquals(MemoryFootprint.ofFp32(2L * 25), expected);
      assertEquals(List.of(new DeviceMemory(Device.cpu().toString(), 2, MemoryFootprint.ZERO,
          expected)), adapter.deviceMemory());
      assertEquals(List.of(new DeviceMemory(Device.cpu().toString(), 1, MemoryFootprint.ZERO,
          MemoryFootprint.ofFp32(2L * 5))), adapter.deviceMemory("b"::equals));
      adapter.checkGradients();
    }
  }
}
