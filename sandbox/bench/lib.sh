# Sourced by the sandbox's bench scripts from the repository root: the release vlens-sandbox
# on 127.0.0.1, and what the scripts read from its replies.

# Installs wrk with apt-get when it is missing.
need_wrk() {
    if ! command -v wrk >/dev/null; then
        echo "wrk is missing; installing it with apt-get" >&2
        apt-get update -qq && apt-get install -y -qq wrk >/dev/null
    fi
}

# Builds the release binary and starts it on 127.0.0.1 (an ephemeral port, seed 1, logging at
# warn) with the extra flags "$@". Sets `work` (a scratch directory), `pid` and `base` (its
# URL); on exit the sandbox is stopped and `work` removed, after `before_stop` when the script
# defines one (to stop its own load first).
start_sandbox() {
    echo "building the release binary..." >&2
    cargo build --release -q -p vlens-sandbox
    local binary="${CARGO_TARGET_DIR:-$PWD/target}/release/vlens-sandbox"
    work=$(mktemp -d)
    RUST_LOG=warn "$binary" --host 127.0.0.1 --port 0 --seed 1 "$@" \
        >"$work/stdout" 2>"$work/stderr" &
    pid=$!
    trap stop_sandbox EXIT
    base=""
    for _ in $(seq 1 100); do
        base=$(sed -n 's/^vlens-sandbox listening on //p' "$work/stdout")
        [ -n "$base" ] && break
        sleep 0.1
    done
    case "$base" in
        http://127.0.0.1:*) ;;
        *) echo "the sandbox did not start (or not on 127.0.0.1): $(cat "$work/stderr")" >&2; exit 1 ;;
    esac
}

stop_sandbox() {
    if declare -F before_stop >/dev/null; then before_stop; fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -rf "$work"
}

# The first string member NAME of the JSON on stdin (the replies here are flat enough).
json_field() { grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4; }
