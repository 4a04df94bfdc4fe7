# fixture.sh -- sourced by the CTest fixtures that run anxin-central in the
# background (tests/e2e/central/server.sh, tests/e2e/dashboard/server.sh,
# tests/e2e/confid/server.sh).
#
# fixture_run LOG ERRLOG CMD...: start CMD in the background, its pid in
#   ./pid; a watcher shell waits for it and writes its exit status to
#   ./exit, so the teardown, which is another process, can read it.  No
#   descriptor of ours is inherited (CTest waits for its pipes to close).
#   LOG and ERRLOG may be the same file (both are appended to).
# fixture_wait_port: wait (10 s) for ./port and /healthz to answer;
#   fails printing server.log.
# fixture_stop DIR: SIGTERM the server and wait for it (5 s, then
#   SIGKILL); fails -- printing the log -- unless it exited 0 by itself and
#   its logs hold no sanitizer report (a server that died during the tests
#   has an exit file already, and that status counts too).
fixture_run() {
  out=$1 err=$2
  shift 2
  rm -f pid exit
  : > "$out"
  : > "$err"
  sh -c '"$@" < /dev/null & echo $! > pid; wait $!; echo $? > exit.tmp; mv exit.tmp exit' \
    fixture "$@" >> "$out" 2>> "$err" < /dev/null &
  for _ in $(seq 1 50); do [ -s pid ] && return 0; sleep 0.1; done
  echo "server did not start" >&2
  return 1
}

fixture_wait_port() {
  for _ in $(seq 1 100); do
    [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null && return 0
    sleep 0.1
  done
  echo "server did not start" >&2
  cat server.log >&2
  return 1
}

fixture_stop() {
  cd "$1" || exit 1
  [ -f pid ] || { echo "no server was started in $1"; exit 1; }
  [ -f exit ] && echo "the server had already exited (status $(cat exit)) before the teardown"
  kill -TERM "$(cat pid)" 2>/dev/null || true
  # 30 s: a graceful stop under ASan (leak check at exit) on a loaded
  # 2-core machine took over 5 s once; a server that hangs still fails
  for _ in $(seq 1 300); do [ -f exit ] && break; sleep 0.1; done
  if [ ! -f exit ]; then
    kill -9 "$(cat pid)" 2>/dev/null || true
    echo "the server did not stop within 30 s of SIGTERM: killed"
    tail -n 20 server.log
    exit 1
  fi
  code=$(cat exit)
  reports=$(grep -l -E 'ERROR: (Address|Leak|Thread)Sanitizer|WARNING: ThreadSanitizer|runtime error:' server.log server.out 2>/dev/null || true)
  if [ "$code" != 0 ] || [ -n "$reports" ]; then
    echo "the server exited with status $code${reports:+; sanitizer report in $reports}:"
    tail -n 40 server.log
    exit 1
  fi
  echo "the server stopped on SIGTERM with status 0"
  exit 0
}
