package org.shampoo4j.bench.profile;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.matcher.ElementMatchers;

/**
 * Counts device-to-host reads of DJL's PyTorch engine: every path that brings tensor values to
 * the host ({@code toArray}, {@code toFloatArray}, {@code getFloat}, {@code getBoolean}, {@code
 * toByteBuffer}, ...) ends in {@code JniUtils.getByteBuffer} (which on a GPU first copies to the
 * CPU, waiting for the device's queue), and {@code contentEquals} in {@code JniUtils.contentEqual}.
 * {@link #install()} adds a counting call at the start of both methods: it loads a Java agent into
 * this JVM (a manifest-only agent jar, attached by a short-lived helper JVM, since a JVM may not
 * attach to itself by default) and rewrites the two methods with Byte Buddy. A read is then
 * counted wherever it is issued, by the optimizer, the model or the training loop; on a CPU, where
 * such a read costs nothing, the count is the same as on a GPU.
 *
 * <p>It also counts host-to-device writes: every array DJL makes from Java memory ({@code
 * NDManager.create}, and so every NDArray operation with a Java number, such as {@code
 * x.mul(2)}) goes through {@code JniUtils.createNdFromByteBuffer}, which on a GPU copies from
 * pageable memory without {@code non_blocking} and so also waits for the device's queue. On the
 * CPU the same calls are counted (they cost nothing there), so a count taken on a CPU tells how
 * often a GPU step would stall.
 *
 * <p>The count is JVM-wide (the rewritten methods can only call a static method), so it belongs
 * to measurement tools that run one thing at a time. Needs a JDK (the {@code jdk.attach} module).
 */
public final class HostReads {
  private static final AtomicLong COUNT = new AtomicLong();
  private static final AtomicLong WRITES = new AtomicLong();
  private static volatile Instrumentation instrumentation;
  private static volatile boolean installed;

  private HostReads() {}

  /**
   * Instruments DJL's PyTorch engine, once per JVM.
   *
   * @throws IllegalStateException if the agent cannot be loaded (a JRE without {@code
   *     jdk.attach}, or attaching is disabled), saying why
   */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    if (instrumentation == null) {
      loadAgent();
    }
    new AgentBuilder.Default()
        .disableClassFormatChanges()
        .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
        .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
        .with(AgentBuilder.TypeStrategy.Default.REDEFINE)
        .type(ElementMatchers.named("ai.djl.pytorch.jni.JniUtils"))
        .transform((builder, type, loader, module, domain) -> builder.visit(
            Advice.to(Count.class).on(ElementMatchers.named("getByteBuffer")
                .or(ElementMatchers.named("contentEqual"))))
            .visit(Advice.to(CountWrite.class)
                .on(ElementMatchers.named("createNdFromByteBuffer"))))
        .installOn(instrumentation);
    installed = true;
  }

  /** Reads counted since {@link #install()} (0 before). */
  public static long count() {
    return COUNT.get();
  }

  /** Host-to-device writes counted since {@link #install()} (0 before). */
  public static long writes() {
    return WRITES.get();
  }

  /** Called by the rewritten methods; public so that DJL's class can reach it. */
  public static void increment() {
    COUNT.incrementAndGet();
  }

  /** Called by the rewritten creation method; public so that DJL's class can reach it. */
  public static void incrementWrites() {
    WRITES.incrementAndGet();
  }

  /** The agent's entry point when loaded into a running JVM. */
  public static void agentmain(String args, Instrumentation inst) {
    instrumentation = inst;
  }

  /** The agent's entry point when given on the command line ({@code -javaagent}). */
  public static void premain(String args, Instrumentation inst) {
    instrumentation = inst;
  }

  /**
   * The helper JVM: attaches to the process {@code args[0]} and loads the agent jar {@code
   * args[1]}.
   */
  public static void main(String[] args) throws Exception {
    com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(args[0]);
    try {
      vm.loadAgent(args[1]);
    } finally {
      vm.detach();
    }
  }

  private static void loadAgent() {
    Path jar = null;
    try {
      jar = Files.createTempFile("host-reads-agent", ".jar");
      Manifest manifest = new Manifest();
      Attributes a = manifest.getMainAttributes();
      a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
      a.putValue("Agent-Class", HostReads.class.getName());
      a.putValue("Can-Retransform-Classes", "true");
      a.putValue("Can-Redefine-Classes", "true");
      try (OutputStream out = Files.newOutputStream(jar);
          JarOutputStream unused = new JarOutputStream(out, manifest)) {
        // Manifest only: the agent class is already on this JVM's class path.
      }
      Path java = Path.of(System.getProperty("java.home"), "bin", "java");
      Process helper = new ProcessBuilder(java.toString(), "-cp",
          System.getProperty("java.class.path"), HostReads.class.getName(),
          String.valueOf(ProcessHandle.current().pid()), jar.toString())
          .redirectErrorStream(true).start();
      String output = new String(helper.getInputStream().readAllBytes());
      if (!helper.waitFor(60, TimeUnit.SECONDS) || helper.exitValue() != 0
          || instrumentation == null) {
        throw new IllegalStateException("cannot count host reads: loading the agent failed"
            + " (needs a JDK with jdk.attach): " + output.trim());
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot count host reads: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while loading the host-read agent", e);
    } finally {
      if (jar != null) {
        try {
          Files.deleteIfExists(jar);
        } catch (IOException ignored) {
          // a leftover manifest-only jar in the temp directory is harmless
        }
      }
    }
  }

  /** The advice inlined at the start of the counted creation method. */
  static final class CountWrite {
    private CountWrite() {}

    @Advice.OnMethodEnter
    static void enter() {
      HostReads.incrementWrites();
    }
  }

  /** The advice inlined at the start of each counted read method. */
  static final class Count {
    private Count() {}

    @Advice.OnMethodEnter
    static void enter() {
      HostReads.increment();
    }
  }
}
