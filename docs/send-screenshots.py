#!/usr/bin/env python3
"""Renders docs/send.png and docs/sandbox.png: a real `localmerge send` run in a terminal
(tmux) against the Graph sandbox, mid-campaign and at its end, and the sandbox's page.

    cargo build -p localmerge-cli -p localmerge-graph-sandbox && python3 docs/send-screenshots.py
    # needs tmux and Debian's chromium
"""
import html
import os
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/debug")
ADDR = "127.0.0.1:8992"
journal = os.path.join(tempfile.mkdtemp(), "welcome.jsonl")
cmd = (f"cd {ROOT} && LOCALMERGE_GRAPH_TOKEN=sandbox-token {BIN}/localmerge send examples/contacts.xlsx "
       f"--subject 'Welcome aboard, {{{{First Name}}}}' --body examples/welcome.html --journal {journal} "
       f"--graph-url http://{ADDR}/v1.0; echo; echo exit $?; sleep 30")
shown = ("localmerge send examples/contacts.xlsx --subject 'Welcome aboard, {{First Name}}' "
         "--body examples/welcome.html --journal welcome.jsonl --graph-url http://127.0.0.1:8990/v1.0")

sandbox = subprocess.Popen([f"{BIN}/localmerge-graph-sandbox", "--listen", ADDR], stdout=subprocess.DEVNULL)
time.sleep(1)
subprocess.run(["tmux", "kill-session", "-t", "lmshot"], capture_output=True)
subprocess.run(["tmux", "new-session", "-d", "-s", "lmshot", "-x", "150", "-y", "14", cmd], check=True)


def capture():
    out = subprocess.run(["tmux", "capture-pane", "-p", "-t", "lmshot"], capture_output=True, text=True).stdout
    return [l for l in out.splitlines() if l.strip()]


time.sleep(9)
middle = capture()
time.sleep(12)
end = capture()
subprocess.run(["tmux", "kill-session", "-t", "lmshot"], capture_output=True)

lines = [f'<span class="p">$</span> {html.escape(shown)}']
lines += [html.escape(l) for l in middle]
lines.append('<span class="d">… sixteen seconds later: 30 messages a minute, Exchange Online\'s limit …</span>')
lines += [html.escape(l) for l in end if "exit" not in l]
lines.append('<span class="p">$</span> echo $?\n' + next((l.split()[1] for l in end if l.startswith("exit")), "?"))
page = f"""<!doctype html><meta charset="utf-8"><style>
body{{margin:0;background:#1e1e1e}} pre{{margin:0;padding:18px 22px;color:#d4d4d4;font:14px/1.45 'DejaVu Sans Mono',monospace;white-space:pre-wrap;width:1260px}}
.p{{color:#6a9955}} .d{{color:#808080}}</style><pre>{chr(10).join(lines)}</pre>"""
path = "/tmp/localmerge-send.html"
with open(path, "w") as f:
    f.write(page)
chrome = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--disable-background-networking"]
subprocess.run(chrome + ["--window-size=1300,190", f"--screenshot={os.path.join(ROOT, 'docs/send.png')}",
                         f"file://{path}"], check=True, capture_output=True)
subprocess.run(chrome + ["--window-size=1100,520", f"--screenshot={os.path.join(ROOT, 'docs/sandbox.png')}",
                         f"http://{ADDR}/_sandbox"], check=True, capture_output=True)
sandbox.terminate()
print("wrote docs/send.png and docs/sandbox.png")
