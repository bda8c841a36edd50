"""The configuration as an operator writes it: a YAML file, the environment over it, the command line over
both; passwords from a file and masked in --print-config; the older `name = value` file still read with a
note; --version; an option out of range refused with its name."""
import os
import subprocess

from conftest import BINARY


def gateway(*args, env=None):
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=30,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith("WEBRTC_GATEWAY_")}, **(env or {})})


def printed(run):
    assert run.returncode == 0, run.stderr
    return run.stdout.splitlines()


def test_file_then_environment_then_command_line(tmp_path):
    (tmp_path / "accounts").write_text("# kept registered\n1001:alpha-secret\n1002:bravo-secret\n")
    (tmp_path / "gateway.yaml").write_text(
        "http: 127.0.0.1:9000\nmax-sessions: 50\nring-timeout: 30\nsip-srtp: true\n"
        f"register-file: {tmp_path / 'accounts'}\nregister: ['1003:charlie-secret']\nallowed-origin: [https://a.example]\n")
    run = gateway("--config", str(tmp_path / "gateway.yaml"), "--http", "127.0.0.1:9100", "--print-config",
                  env={"WEBRTC_GATEWAY_MAX_SESSIONS": "60", "WEBRTC_GATEWAY_RING_TIMEOUT": "40",
                       "WEBRTC_GATEWAY_ALLOWED_ORIGIN": "https://b.example,https://c.example"})
    lines = printed(run)
    assert 'http: "127.0.0.1:9100"' in lines                  # the command line over the file
    assert "max-sessions: 60" in lines and "ring-timeout: 40" in lines   # the environment over the file
    assert "sip-srtp: true" in lines and "dtmf-info: false" in lines     # the file, and a default
    assert '  - "https://b.example"' in lines and '  - "https://c.example"' in lines
    text = run.stdout
    assert "secret" not in text and '  - "1003:***"' in lines, text   # passwords masked
    assert f'register-file: "{tmp_path / "accounts"}"' in lines


def test_the_older_file_form_is_read_with_a_note(tmp_path):
    (tmp_path / "old.conf").write_text("http = 127.0.0.1:9200\nsip-srtp = true\n# a comment\n")
    run = gateway("--config", str(tmp_path / "old.conf"), "--print-config")
    assert 'http: "127.0.0.1:9200"' in printed(run) and "sip-srtp: true" in printed(run)
    assert "old `name = value` form" in run.stderr


def test_version_and_refusals():
    version = gateway("--version")
    assert version.returncode == 0 and version.stdout.startswith("webrtc-gateway "), version
    bad = gateway("--max-sessions", "0")
    assert bad.returncode != 0 and "--max-sessions wants 1-1000000, got 0" in bad.stderr, bad.stderr
    unknown = gateway("--no-such-option")
    assert unknown.returncode != 0 and "no-such-option" in unknown.stderr
