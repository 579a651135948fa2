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

# tcpcheck with the arguments after $1 and $2, its stdout and stderr to
# $1 and $2 (- for both to $1), exit status in $rc. A run that tcpcheck
# itself could not keep to time in all its attempts ("the machine is too
# busy": the host was busy, e.g. CPU steal) has no verdict on the script;
# the command is run again, up to three times, after a pause. Any other
# outcome, pass or fail, stands at once.
run_patient() {
	out_file=$1 err_file=$2
	shift 2
	for try in 1 2 3 4; do
		if [ "$err_file" = - ]; then
			"$TCPCHECK" "$@" >"$out_file" 2>&1
			rc=$?
			grep -q 'the machine is too busy' "$out_file" || return 0
		else
			"$TCPCHECK" "$@" >"$out_file" 2>"$err_file"
			rc=$?
			grep -q 'the machine is too busy' "$out_file" \
				"$err_file" || return 0
		fi
		[ "$try" -lt 4 ] && sleep 1
	done
	return 0
}

# A batch's -v log ($1) as runs with a state trace write it: each run's
# block of tool ports ("# state trace: tracepoint, tool ports A-B", once
# per attempt), then its state changes ("state L>R ..."; R the tool's
# port). Prints each change on a port outside its run's block (another
# run's connection, or the host's), then a last line "blocks B runs R
# changed C changes N": blocks logged, runs traced, runs with a change,
# changes.
trace_ports_check() {
	awk '
		/^[A-Z]+ +.*\.pkt \(/ { run = $2; lo = -1 }
		/^# state trace: tracepoint, tool ports / {
			split($NF, b, "-"); lo = b[1] + 0; hi = b[2] + 0
			blocks++
			if (!(run in seen)) runs++
			seen[run] = 1
		}
		/^ *[-0-9.]+ state [0-9]+>[0-9]+ / {
			split($3, p, ">"); port = p[2] + 0; changes++
			if (lo < 0 || port < lo || port > hi)
				print run ": " $0
			if (!(run in changed)) runs_changed++
			changed[run] = 1
		}
		END {
			printf "blocks %d runs %d changed %d changes %d\n",
			       blocks, runs, runs_changed, changes
		}
	' "$1"
}

# A pinned diagnostic ($1) with what varies from run to run hidden: on
# actual: lines the digits of kernel timestamps (recvmsg's
# SCM_TIMESTAMPING, shown to the millisecond; a TS val, by a tick); on a
# "timing error:" line every time in seconds (N.NNNNNN), measured on the
# kernel's clock. The same as src/batch_judge.c's unvarying().
vary() {
	sed -e '/^actual:/{s/scm_nsec=[0-9]*/scm_nsec=N/g;s/TS val [0-9]*/TS val N/g;}' \
		-e '/timing error:/s/[0-9][0-9]*\.[0-9]\{6\}/N/g' "$1"
}

finish() {
	printf '%d passed, %d failed\n' "$pass" "$fail"
	[ "$fail" -eq 0 ] || exit 1
	exit 0
}
