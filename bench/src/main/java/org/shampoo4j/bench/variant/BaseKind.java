package org.shampoo4j.bench.variant;

import java.util.Locale;

/** The first-order rule a run uses alone, or under Shampoo as its grafting base. */
public enum BaseKind {
  /** SGD with heavy-ball momentum. */
  SGD,
  /** AdamW with decoupled weight decay. */
  ADAMW;

  /** The lower-case name used on the command line. */
  public String cliName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
