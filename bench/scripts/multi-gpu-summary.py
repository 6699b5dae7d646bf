"""Prints one line per multi-gpu.sh run from its summary.csv, devices.csv and curves.csv."""
import csv
import os
import sys

out = sys.argv[1]
print(f"{'run':32} {'ms/step':>8} {'train loss':>10} {'test acc':>8} {'state MiB':>9} "
      f"{'max/GPU MiB':>11} {'peak GPU MiB':>12}  train loss per epoch")
for name in sorted(os.listdir(out)):
    summary = os.path.join(out, name, "summary.csv")
    if not os.path.isfile(summary):
        continue
    with open(summary) as f:
        rows = list(csv.DictReader(f))
    devices = {}
    path = os.path.join(out, name, "devices.csv")
    if os.path.isfile(path):
        with open(path) as f:
            for d in csv.DictReader(f):
                devices.setdefault(d["variant"], []).append(int(d["state_bytes"]))
    curves = {}
    with open(os.path.join(out, name, "curves.csv")) as f:
        for c in csv.DictReader(f):
            curves.setdefault(c["variant"], []).append(float(c["train_loss"]))
    for r in rows:
        state = int(r["state_bytes"])
        per_gpu = max(devices.get(r["variant"], [state]))
        peak = r["peak_device_bytes"]
        peak = f"{int(peak) / 2**20:.0f}" if peak else "n/a"
        curve = " ".join(f"{v:.4f}" for v in curves.get(r["variant"], []))
        print(f"{name + '/' + r['variant']:32} {float(r['ms_per_step']):8.1f} "
              f"{float(r['final_train_loss']):10.4f} {100 * float(r['final_test_accuracy']):7.2f}% "
              f"{state / 2**20:9.2f} {per_gpu / 2**20:11.2f} {peak:>12}  {curve}  [{r['status']}]")
