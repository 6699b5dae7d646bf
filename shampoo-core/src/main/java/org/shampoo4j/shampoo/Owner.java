package org.shampoo4j.shampoo;

import ai.djl.Device;

/** Where a unit's state lives: its device and the label reports use for it. */
record Owner(Device device, String label) {}
