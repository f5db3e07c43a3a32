"""Make docs/mixture_report_laptop.png and docs/mixture_report_phone.png, and measure the report's size and time.

    python docs/make_mixture_report_screenshots.py [--work /tmp/s5eval_report_demo] [--docs docs] [--workers 2]

Synthesizes 30 ten-second mixtures (``s5eval synth``, extra ``synth``), writes a package whose estimates are
each target plus some of the rest of the mixture (8 dB above to 20 dB below
the target), with a missed source in every fourth mixture
and a false one in every fifth (and ``eval_results.json`` probabilities), scores it with
``--report 10`` (20 mixture pages) and prints the time and the size per mixture. The screenshots (headless
Chromium through Selenium, as in the browser tests) show the worst mixture's page that holds a TP pair and
a missed or false source.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

SYSTEM = "Demo_S5eval_task4_1"


def make_package(ref: Path, package: Path, seed: int = 0) -> None:
    """Estimates: target + crosstalk of the mixture; FN in every 4th mixture, FP in every 5th."""
    rng = np.random.default_rng(seed)
    out = package / "eval_out"
    if package.exists():
        shutil.rmtree(package)
    out.mkdir(parents=True)
    entries = []
    classes = ["Speech", "Dishes", "Typing", "Doorbell", "Cough", "Blender"]
    for k, mix_path in enumerate(sorted((ref / "soundscape").glob("*.wav"))):
        mix = sf.read(mix_path, dtype="float32")[0][:, 0]
        targets = sorted((ref / "oracle_target").glob(f"{mix_path.stem}_*.wav"))
        estimates = []
        for i, target_path in enumerate(targets):
            if k % 4 == 1 and i == len(targets) - 1:
                continue  # a missed source
            target = sf.read(target_path, dtype="float32")[0]
            crosstalk = mix - target
            gain = np.sqrt(np.sum(target ** 2) / max(np.sum(crosstalk ** 2), 1e-9)) * 10 ** (-rng.uniform(-8, 20) / 20)
            label = target_path.stem.rsplit("_", 1)[1]
            estimates.append((f"{mix_path.stem}_{i}_{label}.wav", label, target + gain * crosstalk))
        used = {int(name.split("_")[-2]) for name, _, _ in estimates}
        free = [i for i in range(3) if i not in used]
        if k % 5 == 2 and free:  # a false source: the mixture, labelled as a class it does not hold
            label = classes[k % len(classes)]
            estimates.append((f"{mix_path.stem}_{free[0]}_{label}.wav", label, 0.5 * mix))
        for name, label, signal in estimates:
            sf.write(out / name, np.clip(signal, -1, 1), 32000, subtype="PCM_16")
        entries.append({"soundscape": mix_path.stem, "estimate": [
            {"filename": name, "label": label, "probability": round(float(rng.uniform(0.5, 1.0)), 3)}
            for name, label, _ in estimates]})
    (package / "eval_results.json").write_text(json.dumps({"nparams": 1000, "probabilities": entries,
                                                           "config": None}, indent=4))


def screenshots(page: Path, docs: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
                 "--force-device-scale-factor=1"):
        options.add_argument(flag)
    chrome = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    try:
        for name, width, height in (("mixture_report_laptop.png", 1366, 1300), ("mixture_report_phone.png", 390, 1400)):
            chrome.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                   {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
            chrome.get(page.as_uri())
            chrome.save_screenshot(str(docs / name))
            print(f"wrote {docs / name}")
    finally:
        chrome.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/s5eval_report_demo"))
    parser.add_argument("--docs", type=Path, default=Path("docs"))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    ref, package, report = args.work / "ref", args.work / SYSTEM, args.work / "report"
    if not (ref / "soundscape").is_dir():
        subprocess.run([sys.executable, "-m", "s5eval.cli", "synth", str(ref), "--n", "30", "--seed", "4",
                        "--workers", str(args.workers)], check=True)
    make_package(ref, package)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "s5eval.cli", "score", str(package), "--ref", str(ref), "--report", "10",
                    "--report-dir", str(report), "--workers", str(args.workers), "--bootstrap", "0", "--quiet"],
                   check=True)
    seconds = time.perf_counter() - started
    pages = sorted(report.glob("m*.html"))
    sizes = [sum(f.stat().st_size for f in (report / p.stem).iterdir()) + p.stat().st_size for p in pages]
    total = sum(f.stat().st_size for f in report.rglob("*") if f.is_file())
    print(f"{len(pages)} mixture pages in {seconds:.1f} s (score + report, {args.workers} workers); "
          f"per mixture {np.mean(sizes) / 1e3:.0f} kB mean, {min(sizes) / 1e3:.0f}-{max(sizes) / 1e3:.0f} kB; "
          f"folder {total / 1e6:.1f} MB")
    shown = next((p for p in pages if 'data-kind="tp"' in (text := p.read_text(encoding="utf-8"))
                  and ('data-kind="fn"' in text or 'data-kind="fp"' in text)), pages[0])
    screenshots(shown, args.docs)


if __name__ == "__main__":
    main()
