#!/usr/bin/env python3
"""Renders docs/preview.png: a real `localmerge preview` run, drawn as a terminal.

    cargo build -p localmerge-cli && python3 docs/screenshot.py   # needs Debian's chromium
"""
import html
import json
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["preview", "examples/contacts-with-problems.xlsx", "--subject", "Welcome aboard, {{First Name}}",
        "--body", "examples/welcome.html"]

run = subprocess.run([os.path.join(ROOT, "target/debug/localmerge"), *ARGS], cwd=ROOT, capture_output=True, text=True)
lines = [f'<span class="p">$</span> localmerge {html.escape(" ".join(a if " " not in a else repr(a) for a in ARGS))}']
for raw in run.stdout.splitlines()[:4]:
    m = json.loads(raw)
    short = {k: m[k] for k in ("row", "to", "subject")}
    short["html"] = m["html"][:46] + "…"
    lines.append(html.escape(json.dumps(short, ensure_ascii=False)))
lines.append('<span class="d">… 5 more messages …</span>')
lines += [f'<span class="e">{html.escape(l)}</span>' for l in run.stderr.splitlines()]
lines.append(f'<span class="p">$</span> echo $?\n{run.returncode}')
page = f"""<!doctype html><meta charset="utf-8"><style>
body{{margin:0;background:#1e1e1e}} pre{{margin:0;padding:18px 22px;color:#d4d4d4;font:14px/1.45 'DejaVu Sans Mono',monospace;white-space:pre-wrap;width:1160px}}
.p{{color:#6a9955}} .e{{color:#f48771}} .d{{color:#808080}}</style><pre>{chr(10).join(lines)}</pre>"""
path = "/tmp/localmerge-preview.html"
with open(path, "w") as f:
    f.write(page)
subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--disable-background-networking",
                "--window-size=1200,330", f"--screenshot={os.path.join(ROOT, 'docs/preview.png')}", f"file://{path}"],
               check=True, capture_output=True)
print("wrote docs/preview.png")
