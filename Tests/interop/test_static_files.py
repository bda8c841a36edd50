"""The gateway's own files: revalidated by ETag (304 when unchanged), and its pages carry the security
headers a softphone needs (no framing by other sites, no referrer, scripts and connections only to the
gateway); signaling answers stay uncacheable."""
import urllib.error
import urllib.request


def get(gw, path, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(gw.url + path, headers=headers or {}), timeout=5) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_etags_and_page_headers(gateway):
    status, headers, body = get(gateway, "/")
    assert status == 200 and body and headers["ETag"].startswith('"'), headers
    assert headers["Cache-Control"] == "no-cache" and headers["X-Content-Type-Options"] == "nosniff"
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "connect-src 'self' ws: wss:" in csp, csp
    assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
    again = get(gateway, "/", {"If-None-Match": headers["ETag"]})
    assert again[0] == 304 and again[2] == b"", again[:2]
    other = get(gateway, "/", {"If-None-Match": '"0"'})                   # another version: the page again
    assert other[0] == 200 and other[2] == body
    script = get(gateway, "/sdk/gateway.js")
    assert script[0] == 200 and script[1]["ETag"] != headers["ETag"] and "Content-Security-Policy" not in script[1]
    assert get(gateway, "/status")[1]["Cache-Control"] == "no-store"
