package org.shampoo4j.shampoo.state;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Reads the per-parameter states of an optimizer from snapshots, all or nothing: each state is
 * created on its weight's device; if one fails, those already created are freed and the error
 * names the parameter. The caller swaps the result in only once this returned.
 */
public final class StateRestoration {
  private StateRestoration() {}

  /** Reads one parameter's state from its snapshot. */
  @FunctionalInterface
  public interface StateReader<S> {
    /**
     * The state, its arrays created through {@code reader}.
     *
     * @param reader the parameter's snapshot, creating arrays in the weight's state manager
     * @param weight the parameter, for its shape, type and device
     */
    S read(StateSnapshot.Reader reader, NDArray weight);
  }

  /**
   * The states of every parameter with a non-empty snapshot, by id.
   *
   * @param states snapshots by parameter id
   * @param weights weights by parameter id
   * @param managerFor the manager that owns the state of a weight (on its device)
   * @param reader reads one state; must use every entry (the reader's {@code finish} is called)
   * @param attacher moves a state's arrays to the owning manager (temporaries of {@code reader}
   *     are freed with the scope it reads into)
   * @param closer frees a state created here if a later one fails
   * @throws IllegalArgumentException naming the parameter whose state does not fit
   */
  public static <S> Map<String, S> readAll(Map<String, StateSnapshot> states,
      Map<String, NDArray> weights, Function<NDArray, NDManager> managerFor,
      StateReader<S> reader, BiConsumer<S, NDManager> attacher, Consumer<S> closer) {
    Map<String, S> out = new LinkedHashMap<>();
    List<S> created = new ArrayList<>();
    try {
      for (Map.Entry<String, StateSnapshot> e : states.entrySet()) {
        if (e.getValue().isEmpty()) {
          continue;
        }
        NDArray weight = weights.get(e.getKey());
        if (weight == null) {
          throw new IllegalArgumentException("no weight given for parameter '" + e.getKey() + "'");
        }
        try (NDManager scope = managerFor.apply(weight).newSubManager()) {
          StateSnapshot.Reader r = e.getValue().reader(scope);
          S state = reader.read(r, weight);
          r.finish();
          attacher.accept(state, managerFor.apply(weight));
          created.add(state);
          out.put(e.getKey(), state);
        } catch (IllegalArgumentException ex) {
          throw new IllegalArgumentException(
              "parameter '" + e.getKey() + "': " + ex.getMessage(), ex);
        }
      }
      return out;
    } catch (RuntimeException ex) {
      created.forEach(closer);
      throw ex;
    }
  }
}
