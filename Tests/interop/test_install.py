"""Running as a service: scripts/install puts the release binary (the Swift runtime linked in) and its
resources in a prefix, and the installed gateway serves its pages from there, not from the build tree;
at start it raises its open-file limit to the hard one and says how many calls that leaves room for; the
example configuration of deploy/ parses."""
import os
import re
import subprocess
import urllib.request

from conftest import ROOT, wait_until


def test_the_installed_gateway_runs_from_its_prefix_and_raises_its_file_limit(tmp_path):
    prefix = tmp_path / "prefix"
    run = subprocess.run([os.path.join(ROOT, "scripts", "install"), str(prefix)], capture_output=True, text=True,
                         timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    binary = prefix / "lib" / "webrtc-gateway" / "webrtc-gateway"
    linked = subprocess.run(["ldd", str(binary)], capture_output=True, text=True).stdout
    assert "libswift" not in linked and "libFoundation" not in linked, linked
    # The pages come from the installed resources: a mark put there shows.
    page = prefix / "lib" / "webrtc-gateway" / "webrtc-gateway_Gateway.resources" / "Public" / "index.html"
    page.write_text(page.read_text() + "<!-- installed copy -->\n")

    log = open(tmp_path / "gateway.log", "w")
    proc = subprocess.Popen(["prlimit", "--nofile=1024:4096", str(prefix / "bin" / "webrtc-gateway"), "--http",
                             "127.0.0.1:0", "--sip-listen", "127.0.0.1:0", "--rtp-ports", "29000-29099"],
                            stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path)
    try:
        def port():
            assert proc.poll() is None, (tmp_path / "gateway.log").read_text()
            m = re.search(r"listening on http://[^:]+:(\d+)/", (tmp_path / "gateway.log").read_text())
            return int(m.group(1)) if m else None
        http = wait_until(port, 30, what="the installed gateway's banner")
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/", timeout=5) as r:
            assert "<!-- installed copy -->" in r.read().decode()
        with urllib.request.urlopen(f"http://127.0.0.1:{http}/sdk/gateway.js", timeout=5) as r:
            assert r.status == 200
        text = (tmp_path / "gateway.log").read_text()
        assert "open files: 4096 (was 1024): room for about 1344 calls" in text, text[-2000:]
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
        log.close()


def test_the_example_configuration_parses():
    run = subprocess.run([os.path.join(ROOT, ".build", "release", "webrtc-gateway"), "--config",
                          os.path.join(ROOT, "deploy", "gateway.yaml"), "--print-config"], capture_output=True, text=True,
                         timeout=30)
    assert run.returncode == 0 and 'public-ip: "203.0.113.10"' in run.stdout, run.stdout[-1000:] + run.stderr[-1000:]
