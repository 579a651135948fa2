# Shared helpers for the shell test suites (sourced, not run).
: "${TCPCHECK:?TCPCHECK must name the tcpcheck binary}"
: "${top_srcdir:?top_srcdir must name the source tree}"
cd "$top_srcdir" || exit 99

pass=0
fail=0

ok() { pass=$((pass + 1)); }
not_ok() {
	fail=$((fail + 1))
	printf 'FAIL: %s\n' "$*"
}

# The packetdrill corpus (../shared beside the tree, or TCPCHECK_CORPUS),
# in $corpus; the suite is skipped when there is none.
need_corpus() {
	corpus=${TCPCHECK_CORPUS:-$top_srcdir/../shared/corpus/packetdrill}
	[ -f "$corpus/EXPECTED.tsv" ] && [ -d "$corpus/tcp" ] ||
		{ echo "SKIP: no corpus at $corpus"; exit 77; }
}

# Can this machine give a run its own network namespace and tun0?
# The answer is tcpcheck's own: a trivial script passes or skips (77).
can_run_kernel() {
	"$TCPCHECK" testdata/states/listen.pkt >/dev/null 2>&1
	[ $? -ne 77 ]
}

# Can runs here trace states with the tracepoint (root, tracefs)? Else
# they sample, and what pins "state trace: tracepoint" cannot hold.
can_trace() {
	[ -d /sys/kernel/tracing/instances ] &&
		[ -w /sys/kernel/tracing/instances ] &&
		[ -r /sys/kernel/tracing/events/sock/inet_sock_set_state/format ]
}

# tcpcheck on one script, its stdout and stderr to $1 and $2, exit status
# in $rc. A run that tcpcheck itself could not keep to time in all its
# attempts ("the machine is too busy": the host was busy, e.g. CPU steal)
# has no verdict on the script; it is run again, up to three times, after
# a pause. Any other outcome, pass or fail, stands at once.
run_patient() {
	out_file=$1 err_file=$2
	shift 2
	for try in 1 2 3 4; do
		"$TCPCHECK" "$@" >"$out_file" 2>"$err_file"
		rc=$?
		grep -q 'the machine is too busy' "$out_file" "$err_file" || return 0
		[ "$try" -lt 4 ] && sleep 1
	done
	return 0
}

finish() {
	printf '%d passed, %d failed\n' "$pass" "$fail"
	[ "$fail" -eq 0 ] || exit 1
	exit 0
}
