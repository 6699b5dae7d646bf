package org.shampoo4j.bench.train;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads how much memory is in use on the training device, for the peak-memory column. On a CUDA
 * GPU this is {@code cudaMemGetInfo}'s total minus free (DJL's {@link CudaUtils#getGpuMemory},
 * through JNA, no extra JNI): everything allocated on the card, which on a card used by one
 * process is that process's footprint: CUDA context, PyTorch's cached blocks, tensors. PyTorch
 * keeps freed blocks cached, so a second run in the same process starts from the first one's
 * high-water mark; only the first run of a process measures its own peak. On the CPU there is
 * nothing comparable to read, and the probe says so instead of guessing.
 */
public interface DeviceMemoryProbe {
  /** Bytes in use on the device now, or empty where the device cannot say. */
  OptionalLong usedBytes();

  /** Why {@link #usedBytes()} is empty, if it is. */
  Optional<String> unavailableReason();

  /** The probe for {@code device}. */
  static DeviceMemoryProbe of(Device device) {
    if (!device.isGpu()) {
      return unavailable("not measured on " + device + " (only a GPU reports device memory)");
    }
    try {
      CudaUtils.getGpuMemory(device);
    } catch (RuntimeException | LinkageError e) {
      return unavailable("cudaMemGetInfo failed: " + e.getMessage());
    }
    return new DeviceMemoryProbe() {
      @Override
      public OptionalLong usedBytes() {
        try {
          return OptionalLong.of(CudaUtils.getGpuMemory(device).getUsed());
        } catch (RuntimeException e) {
          return OptionalLong.empty(); // a failed reading must not stop the training run
        }
      }

      @Override
      public Optional<String> unavailableReason() {
        return Optional.empty();
      }
    };
  }

  /**
   * The probe of several devices: the most memory in use on any one of them (what limits a model
   * on equal cards); unavailable if any device cannot report.
   */
  static DeviceMemoryProbe maxOf(java.util.List<Device> devices) {
    if (devices.size() == 1) {
      return of(devices.get(0));
    }
    java.util.List<DeviceMemoryProbe> probes = devices.stream().map(DeviceMemoryProbe::of).toList();
    for (DeviceMemoryProbe p : probes) {
      if (p.unavailableReason().isPresent()) {
        return p;
      }
    }
    return new DeviceMemoryProbe() {
      @Override
      public OptionalLong usedBytes() {
        return probes.stream().map(DeviceMemoryProbe::usedBytes).filter(OptionalLong::isPresent)
            .mapToLong(OptionalLong::getAsLong).max();
      }

      @Override
      public Optional<String> unavailableReason() {
        return Optional.empty();
      }
    };
  }

  /** A probe that never reads a value, with the reason. */
  static DeviceMemoryProbe unavailable(String reason) {
    return new DeviceMemoryProbe() {
      @Override
      public OptionalLong usedBytes() {
        return OptionalLong.empty();
      }

      @Override
      public Optional<String> unavailableReason() {
        return Optional.of(reason);
      }
    };
  }
}
