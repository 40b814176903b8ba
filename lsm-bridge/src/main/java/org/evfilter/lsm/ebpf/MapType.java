package org.evfilter.lsm.ebpf;

/** The kinds of eBPF map evfilter creates ({@code enum bpf_map_type}). */
public enum MapType {
  HASH(1),
  ARRAY(2),
  PERCPU_HASH(5),
  /** One value per possible CPU for each key: counters without atomics, summed when read. */
  PERCPU_ARRAY(6),
  LRU_HASH(9);

  private final int value;

  MapType(int value) {
    this.value = value;
  }

  /** The kernel's number for it. */
  public int value() {
    return value;
  }

  /** Whether a lookup returns one value per possible CPU. */
  public boolean perCpu() {
    return this == PERCPU_HASH || this == PERCPU_ARRAY;
  }
}
