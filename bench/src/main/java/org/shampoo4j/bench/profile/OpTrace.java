package org.shampoo4j.bench.profile;

import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.JsonUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Counts the libtorch operations a piece of Java code issues, through libtorch's own profiler
 * (DJL's {@link JniUtils#startProfile}), which records every ATen operator call with its start
 * and duration.
 *
 * <ul>
 *   <li><b>calls</b>: operator calls not nested in another operator call: what DJL issues through
 *       JNI (one per NDArray operation, a few for some) or a TorchScript method issues directly;
 *   <li><b>kernels</b>: innermost operator calls that compute (view, allocation and metadata
 *       operators excluded): on a GPU each is a kernel launch;
 *   <li><b>opMicros</b>: time spent inside top-level operator calls, so that the caller's wall
 *       time minus this is the host time spent outside libtorch (Java, JNI, DJL bookkeeping);
 *   <li><b>hostReads</b>: device-to-host reads ({@link HostReads}); each waits for the device's
 *       queue on a GPU. Not an operator, so counted beside the profiler, the same on any device;
 *   <li><b>hostWrites</b>: arrays made from Java memory ({@link HostReads#writes()}); each also
 *       waits for the device's queue on a GPU.
 * </ul>
 *
 * <p>For measurement tools only; the profiler adds overhead of its own to the wall time.
 */
final class OpTrace {
  /** Operators that launch no kernel: views, allocation, metadata and dispatch wrappers. */
  private static final Set<String> NO_KERNEL = Set.of(
      "aten::empty", "aten::empty_strided", "aten::empty_like", "aten::resolve_conj",
      "aten::resolve_neg", "aten::view", "aten::_unsafe_view", "aten::reshape", "aten::as_strided",
      "aten::expand", "aten::expand_as", "aten::transpose", "aten::t", "aten::permute",
      "aten::unsqueeze", "aten::squeeze", "aten::select", "aten::slice", "aten::detach",
      "detach", "aten::alias", "aten::lift_fresh", "aten::numpy_T", "aten::flatten",
      "aten::diagonal", "aten::unbind", "aten::split", "aten::chunk", "aten::narrow",
      "aten::result_type", "aten::item", "aten::_local_scalar_dense", "aten::is_nonzero",
      "aten::broadcast_to", "aten::view_as", "aten::contiguous", "aten::to", "aten::_to_copy",
      "aten::set_", "aten::requires_grad_", "aten::_reshape_alias");

  /**
   * What a traced run issued.
   *
   * @param calls top-level operator calls
   * @param kernels innermost computing operator calls
   * @param opMicros time inside top-level operator calls, in microseconds
   * @param wallMicros wall time of the traced run (profiler on), in microseconds
   * @param topCalls the most frequent top-level operators with their counts, most frequent first
   * @param hostReads device-to-host reads of the traced run
   * @param hostWrites arrays made from Java memory in the traced run
   */
  record Counts(long calls, long kernels, double opMicros, double wallMicros,
      List<Map.Entry<String, Integer>> topCalls, long hostReads, long hostWrites) {}

  private OpTrace() {}

  /**
   * Runs {@code work} under libtorch's profiler and counts its operator calls.
   *
   * @param work the code to trace, run on this thread
   * @param scratch a directory for the profiler's trace file
   */
  static Counts trace(Runnable work, Path scratch) {
    Path file;
    try {
      Files.createDirectories(scratch);
      file = Files.createTempFile(scratch, "torch-trace", ".json");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a trace file in " + scratch, e);
    }
    HostReads.install();
    long start = System.nanoTime();
    long reads = HostReads.count();
    long writes = HostReads.writes();
    JniUtils.startProfile(false, false, false);
    try {
      work.run();
    } finally {
      reads = HostReads.count() - reads;
      writes = HostReads.writes() - writes;
      JniUtils.stopProfile(file.toString());
    }
    double wall = (System.nanoTime() - start) / 1e3;
    try {
      String json = Files.readString(file, StandardCharsets.UTF_8);
      return count(JsonUtils.GSON.fromJson(json, JsonArray.class), wall, reads, writes);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the trace " + file, e);
    } finally {
      try {
        Files.deleteIfExists(file);
      } catch (IOException ignored) {
        // a leftover trace in the scratch directory is harmless
      }
    }
  }

  /**
   * Counts a Chrome trace (the profiler's JSON array of complete events).
   *
   * @param hostReads the device-to-host reads counted beside the trace
   * @param hostWrites the host-to-device writes counted beside the trace
   */
  static Counts count(JsonArray events, double wallMicros, long hostReads, long hostWrites) {
    Map<String, List<Event>> byThread = new HashMap<>();
    for (JsonElement e : events) {
      JsonObject o = e.getAsJsonObject();
      if (!o.has("ph") || !"X".equals(o.get("ph").getAsString())) {
        continue;
      }
      String thread = String.valueOf(o.get("tid")) + "/" + o.get("pid");
      byThread.computeIfAbsent(thread, k -> new ArrayList<>()).add(new Event(
          o.get("name").getAsString(), o.get("ts").getAsDouble(), o.get("dur").getAsDouble()));
    }
    long calls = 0;
    long kernels = 0;
    double opMicros = 0;
    Map<String, Integer> topNames = new HashMap<>();
    for (List<Event> list : byThread.values()) {
      // Parents start no later and end no earlier than their children: sort by start, longest
      // first, and walk with a stack of open events.
      list.sort(Comparator.comparingDouble(Event::start)
          .thenComparing(Comparator.comparingDouble(Event::duration).reversed()));
      List<Event> open = new ArrayList<>();
      List<Integer> openIndex = new ArrayList<>();
      int[] parent = new int[list.size()];
      for (int i = 0; i < list.size(); i++) {
        Event e = list.get(i);
        while (!open.isEmpty() && open.get(open.size() - 1).end() <= e.start()) {
          open.remove(open.size() - 1);
          openIndex.remove(openIndex.size() - 1);
        }
        if (open.isEmpty()) {
          parent[i] = -1;
          calls++;
          opMicros += e.duration();
          topNames.merge(e.name(), 1, Integer::sum);
        } else {
          parent[i] = openIndex.get(openIndex.size() - 1);
        }
        open.add(e);
        openIndex.add(i);
      }
      // Children follow their parents in this order, so one backward pass sees every child of an
      // event before the event: an event is a kernel if it computes and nothing below it does.
      boolean[] kernelBelow = new boolean[list.size()];
      for (int i = list.size() - 1; i >= 0; i--) {
        boolean kernel = !kernelBelow[i] && !NO_KERNEL.contains(list.get(i).name());
        if (kernel) {
          kernels++;
        }
        if (parent[i] >= 0 && (kernel || kernelBelow[i])) {
          kernelBelow[parent[i]] = true;
        }
      }
    }
    List<Map.Entry<String, Integer>> top = new ArrayList<>(topNames.entrySet());
    top.sort(Map.Entry.<String, Integer>comparingByValue().reversed()
        .thenComparing(Map.Entry.comparingByKey()));
    return new Counts(calls, kernels, opMicros, wallMicros, List.copyOf(top), hostReads,
        hostWrites);
  }

  private record Event(String name, double start, double duration) {
    double end() {
      return start + duration;
    }
  }
}
