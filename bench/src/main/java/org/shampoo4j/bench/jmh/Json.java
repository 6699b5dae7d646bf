package org.shampoo4j.bench.jmh;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Minimal JSON writing for the runner's derived tables (objects, arrays, strings, numbers). */
final class Json {
  private Json() {}

  /** Serialises maps, lists, strings, numbers, booleans and null. */
  static String write(Object value) {
    StringBuilder sb = new StringBuilder();
    write(value, sb, "");
    return sb.toString();
  }

  private static void write(Object v, StringBuilder sb, String indent) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof String s) {
      sb.append('"');
      for (char c : s.toCharArray()) {
        switch (c) {
          case '"' -> sb.append("\\\"");
          case '\\' -> sb.append("\\\\");
          case '\n' -> sb.append("\\n");
          default -> {
            if (c < 0x20) {
              sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
              sb.append(c);
            }
          }
        }
      }
      sb.append('"');
    } else if (v instanceof Double d) {
      sb.append(Double.isFinite(d) ? String.format(Locale.ROOT, "%.6g", d) : "null");
    } else if (v instanceof Number || v instanceof Boolean) {
      sb.append(v);
    } else if (v instanceof Map<?, ?> m) {
      sb.append("{\n");
      String inner = indent + "  ";
      int i = 0;
      for (Map.Entry<?, ?> e : m.entrySet()) {
        sb.append(inner);
        write(String.valueOf(e.getKey()), sb, inner);
        sb.append(": ");
        write(e.getValue(), sb, inner);
        sb.append(++i < m.size() ? ",\n" : "\n");
      }
      sb.append(indent).append('}');
    } else if (v instanceof List<?> l) {
      sb.append("[\n");
      String inner = indent + "  ";
      for (int i = 0; i < l.size(); i++) {
        sb.append(inner);
        write(l.get(i), sb, inner);
        sb.append(i + 1 < l.size() ? ",\n" : "\n");
      }
      sb.append(indent).append(']');
    } else {
      throw new IllegalArgumentException("cannot write " + v.getClass() + " as JSON");
    }
  }
}
