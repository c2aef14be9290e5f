# shellcheck shell=sh
# lab/sparc.sh: drive a QEMU SPARCstation 5 guest from a script.
#
#   . lab/sparc.sh
#   dir=$(mktemp -d)                    # the guest's handle (local fs only)
#   sparc_wait_node /dev/ldm/NAME 5     # the domain's node (devtmpfs: async)
#   sparc_start "$dir" /dev/ldm/NAME    # boot OpenBIOS on the domain's RAM
#   sparc_start_in ldm-dst "$dir" MEMPATH -incoming defer -S
#                                       # the same, QEMU in a network namespace
#   sparc_wait_qmp "$dir"               # until its QMP socket is there
#   sparc_wait_prompt "$dir"            # until "0 >" (about 2 min in the lab)
#   sparc_running "$dir"; sparc_at_prompt "$dir"   # tests, without waiting
#   sparc_type "$dir" 'decimal 6 7 * .' # prints the answer ("... 42  ok")
#   sparc_key "$dir" ' '                # a key, no Enter (ends a Forth loop);
#                                       # waits for the prompt, like sparc_type
#   sparc_qmp "$dir" '{"execute":"stop"}'
#   sparc_status "$dir"                 # QEMU's run state: running, paused...
#   sparc_wait_status "$dir" running   # until it is that
#   sparc_pid "$dir"                    # QEMU's pid
#   sparc_save "$dir" "$LAB_OUT/test"   # test.console.log (no CRs), test.qemu.log
#   sparc_stop "$dir"                   # QMP quit, then signals if needed
#
# The SPARC guest is the domain ldm migrates: its RAM is a shared mapping of
# the file given as MEMPATH (an ldm device node /dev/ldm/<domain>, or any
# file of the right size), so every write the guest makes goes through ldm.
# The SS-5 boots OpenBIOS with no disk and stops at its Forth prompt: a
# real client with a small, scriptable console and no image to download.
#
# The handle DIR holds the serial console as a FIFO pair (serial.in for
# typing, serial.out drained by a background cat into console.log), the QMP
# socket qmp.sock (for stop, cont, migration), qemu.log (QEMU's own output)
# and the pids. DIR must be on a local file system (tmpfs): FIFOs and
# sockets do not work across the lab's 9p. SPARC_MEM (default 64M) must
# match MEMPATH's size. Extra arguments to sparc_start go to QEMU (e.g.
# -incoming defer). Every function returns non-zero and says why on stderr
# when it fails (they are safe under set -e). POSIX sh; needs
# qemu-system-sparc and python3 (for QMP).

SPARC_MEM=${SPARC_MEM:-64M}

# sparc_start DIR MEMPATH [QEMU-ARGS...]: start the guest in the background.
sparc_start() {
	sparc_start_in "" "$@"
}

# sparc_start_in NETNS DIR MEMPATH [QEMU-ARGS...]: the same with QEMU in
# network namespace NETNS ("": this one), so that its own migration
# (-incoming, migrate) uses that host's address.
sparc_start_in() {
	_ns=$1
	_d=$2
	_mem=$3
	shift 3
	command -v qemu-system-sparc >/dev/null || {
		echo "sparc_start: qemu-system-sparc not found (make deps)" >&2
		return 1
	}
	mkdir -p "$_d" || return 1
	rm -f "$_d/serial.in" "$_d/serial.out" "$_d/qmp.sock" "$_d/console.log"
	mkfifo "$_d/serial.in" "$_d/serial.out" || return 1
	_in=
	[ -z "$_ns" ] || _in="ip netns exec $_ns"	# it execs: $! is QEMU
	# -nographic also tells OpenBIOS to use the serial line as its console.
	# shellcheck disable=SC2086 # $_in: a command prefix, or nothing
	$_in qemu-system-sparc -machine SS-5,memory-backend=ram0 -m "$SPARC_MEM" \
		-object "memory-backend-file,id=ram0,size=$SPARC_MEM,mem-path=$_mem,share=on" \
		-nographic -monitor none -parallel none \
		-chardev "pipe,id=con0,path=$_d/serial" -serial chardev:con0 \
		-qmp "unix:$_d/qmp.sock,server=on,wait=off" \
		"$@" < /dev/null > "$_d/qemu.log" 2>&1 &
	echo $! > "$_d/qemu.pid"
	# Opened read-write so that the open never blocks, whatever QEMU does.
	# The Linux guest's console reader also serves it the host's clock.
	if [ -n "${_sparc_clock:-}" ]; then
		python3 "${SPARC_CLOCK:-lab/sparc-clock.py}" "$_d/serial" \
			"$_d/console.log" 2> "$_d/clock.log" &
	else
		cat 0<> "$_d/serial.out" > "$_d/console.log" &
	fi
	echo $! > "$_d/reader.pid"
}

# _sparc_alive PID: the process exists and is not a zombie.
_sparc_alive() {
	[ -r "/proc/$1/stat" ] &&
		[ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# sparc_running DIR: QEMU is still running.
sparc_running() {
	[ -f "$1/qemu.pid" ] && _sparc_alive "$(cat "$1/qemu.pid")"
}

# sparc_at_prompt DIR: OpenBIOS has shown its first "0 >" prompt.
sparc_at_prompt() {
	grep -q '^0 > ' "$1/console.log" 2>/dev/null
}

# sparc_wait_prompt DIR [TIMEOUT-SECONDS (400)]: wait for OpenBIOS's "0 >".
sparc_wait_prompt() {
	_d=$1
	_end=$(($(date +%s) + ${2:-400}))
	until sparc_at_prompt "$_d"; do
		if ! sparc_running "$_d"; then
			echo "sparc_wait_prompt: QEMU exited:" >&2
			cat "$_d/qemu.log" >&2
			return 1
		fi
		if [ "$(date +%s)" -ge "$_end" ]; then
			echo "sparc_wait_prompt: no '0 >' prompt after ${2:-400}s;" \
				"console ends with:" >&2
			tail -n 5 "$_d/console.log" | tr -d '\r' >&2
			return 1
		fi
		sleep 1
	done
}

# sparc_type DIR LINE [TIMEOUT-SECONDS (60)]: type LINE and Enter at the
# prompt, wait for the next prompt, print what the guest answered.
sparc_type() {
	_sparc_keys "$1" "$2" '\r' "${3:-60}" sparc_type
}

# sparc_key DIR KEYS [TIMEOUT-SECONDS (60)]: type KEYS as they are, no
# Enter (the key that ends a running Forth loop), wait for the next
# prompt, print what the guest answered.
sparc_key() {
	_sparc_keys "$1" "$2" '' "${3:-60}" sparc_key
}

# _sparc_keys DIR KEYS END TIMEOUT WHO: type KEYS, then END (a printf
# format: '\r' or ''), and wait for a fresh prompt after them; WHO names
# the caller in errors. Fails at once if QEMU is gone, or as soon as it
# exits while waiting.
_sparc_keys() {
	_d=$1
	if ! sparc_running "$_d"; then
		echo "$5: QEMU is not running; not typing '$2'" >&2
		return 1
	fi
	_off=$(($(wc -c < "$_d/console.log") + 1))
	_end=$(($(date +%s) + $4))
	# Opened read-write: an open for writing alone would block for good
	# on a FIFO that QEMU (which holds it open) no longer reads.
	printf "%s$3" "$2" 1<> "$_d/serial.in" || return 1
	# Done when the last (unfinished) line is a fresh prompt, e.g. "0 > ".
	until tail -c "+$_off" "$_d/console.log" | tr -d '\r' | tail -n 1 |
		grep -qE '^[0-9]+ > $'; do
		if ! sparc_running "$_d"; then
			echo "$5: QEMU exited after '$2'; console:" >&2
			tail -c "+$_off" "$_d/console.log" | tr -d '\r' >&2
			tail -n 5 "$_d/qemu.log" >&2
			return 1
		fi
		if [ "$(date +%s)" -ge "$_end" ]; then
			echo "$5: no prompt after '$2' within $4s" >&2
			tail -c "+$_off" "$_d/console.log" | tr -d '\r' >&2
			return 1
		fi
		sleep 0.2
	done
	tail -c "+$_off" "$_d/console.log" | tr -d '\r' | sed '$d'
}

# sparc_qmp DIR JSON: send one QMP command, print its reply; false on error.
sparc_qmp() {
	python3 - "$1/qmp.sock" "$2" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
f = s.makefile("rw")
def call(cmd):
    f.write(json.dumps(cmd) + "\n")
    f.flush()
    while True:  # skip asynchronous events
        line = f.readline()
        if not line:
            sys.exit("sparc_qmp: QEMU closed the QMP socket")
        reply = json.loads(line)
        if "return" in reply or "error" in reply:
            return reply
f.readline()  # greeting
call({"execute": "qmp_capabilities"})
reply = call(json.loads(sys.argv[2]))
print(json.dumps(reply))
sys.exit("error" in reply)
EOF
}

# sparc_status DIR: QEMU's run state (query-status: running, paused,
# inmigrate, postmigrate...); nothing if QMP does not answer.
sparc_status() {
	sparc_qmp "$1" '{"execute": "query-status"}' 2>/dev/null |
		sed -n 's/.*"status": "\([a-z-]*\)".*/\1/p'
}

# sparc_wait_status DIR STATUS [TIMEOUT-SECONDS (60)]: until QEMU's run
# state is STATUS.
sparc_wait_status() {
	_end=$(($(date +%s) + ${3:-60}))
	until [ "$(sparc_status "$1")" = "$2" ]; do
		if [ "$(date +%s)" -ge "$_end" ]; then
			echo "sparc_wait_status: QEMU is '$(sparc_status "$1")'," \
				"not '$2', after ${3:-60}s" >&2
			return 1
		fi
		sleep 0.2
	done
}

# sparc_wait_node PATH [TIMEOUT-SECONDS (5)]: until PATH, a domain's
# device node (devtmpfs makes it asynchronously), is there.
sparc_wait_node() {
	_i=0
	while [ ! -c "$1" ] && [ "$_i" -lt $((${2:-5} * 10)) ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ -c "$1" ] || {
		echo "sparc_wait_node: no $1 after ${2:-5}s" >&2
		return 1
	}
}

# sparc_wait_qmp DIR [TIMEOUT-SECONDS (30)]: until QEMU's QMP socket is
# there (QEMU is up); false, with QEMU's output, if QEMU exits first.
sparc_wait_qmp() {
	_i=0
	until [ -S "$1/qmp.sock" ]; do
		_i=$((_i + 1))
		if ! sparc_running "$1"; then
			echo "sparc_wait_qmp: QEMU exited:" >&2
			cat "$1/qemu.log" >&2
			return 1
		fi
		if [ "$_i" -gt $((${2:-30} * 10)) ]; then
			echo "sparc_wait_qmp: no QMP socket after ${2:-30}s" >&2
			return 1
		fi
		sleep 0.1
	done
}

# sparc_pid DIR: QEMU's pid.
sparc_pid() {
	cat "$1/qemu.pid" 2>/dev/null
}

# sparc_save DIR PREFIX: keep the guest's logs: PREFIX.console.log (its
# console, without carriage returns) and PREFIX.qemu.log.
sparc_save() {
	[ ! -f "$1/console.log" ] || tr -d '\r' < "$1/console.log" > "$2.console.log"
	[ ! -f "$1/qemu.log" ] || cp "$1/qemu.log" "$2.qemu.log"
}

# sparc_stop DIR: stop the guest (QMP quit, then TERM, then KILL) and its
# console reader. Safe to call twice or after a failed start.
sparc_stop() {
	_d=$1
	[ -f "$_d/qemu.pid" ] || return 0
	_pid=$(cat "$_d/qemu.pid")
	if _sparc_alive "$_pid"; then
		sparc_qmp "$_d" '{"execute": "quit"}' >/dev/null 2>&1 || :
		for _sig in 0 TERM KILL; do
			[ "$_sig" = 0 ] || kill "-$_sig" "$_pid" 2>/dev/null || :
			_i=0
			while _sparc_alive "$_pid" && [ "$_i" -lt 50 ]; do
				sleep 0.2
				_i=$((_i + 1))
			done
			_sparc_alive "$_pid" || break
		done
	fi
	wait "$_pid" 2>/dev/null || :	# reap it if it is our child
	if [ -f "$_d/reader.pid" ]; then
		kill "$(cat "$_d/reader.pid")" 2>/dev/null || :
		wait "$(cat "$_d/reader.pid")" 2>/dev/null || :
	fi
	rm -f "$_d/qemu.pid" "$_d/reader.pid" "$_d/serial.in" "$_d/serial.out"
	! _sparc_alive "$_pid"
}

# ---- The SPARC Linux guest (guest/, lab/sparc-linux.sh) ----
#
#   sparc_start_linux DIR MEMPATH 'ldm.rate=500 ldm.mem=160'  # boot Linux
#   sparc_wait_console DIR 'ldm-guest: ready' 600   # until a console line
#   from=$(sparc_console_size DIR); sparc_send DIR status
#   sparc_wait_console DIR 'integrity (ok|BAD)' 60 "$from"
#   sparc_pause DIR 5        # QMP stop, 5 s, cont: prints QEMU's stopped ms
#
# The kernel is build/sparc/zImage and the initramfs
# build/guest/initramfs.cpio (`make sparc-linux`; paths relative to the
# repository, the current directory of the lab's tests; SPARC_KERNEL and
# SPARC_INITRD override). RAM: SPARC_LINUX_MEM (default 256M, the most the
# SS-5 takes; MEMPATH must be that big). The console's reader is
# lab/sparc-clock.py, which also serves the host's clock to the guest's
# pause meter over the console (guest/meter.c) and keeps its requests out
# of console.log.
# SPARC_ICOUNT=1 adds "-icount shift=auto,sleep=off" (QEMU's virtual clock
# then follows the instructions executed), without which Linux can stop
# for good at its clocksource switch nested in a busy lab
# (Documentation/lab.rst); the default is 1 in the lab (LAB=1) and 0
# elsewhere; SPARC_ICOUNT=shift=... passes those options.

# sparc_start_linux DIR MEMPATH APPEND [QEMU-ARGS...]: boot the SPARC Linux
# guest in the background, with "console=ttyS0 APPEND" as its command line.
sparc_start_linux() {
	sparc_start_linux_in "" "$@"
}

# sparc_start_linux_in NETNS DIR MEMPATH APPEND [QEMU-ARGS...]: the same
# with QEMU in network namespace NETNS ("": this one).
sparc_start_linux_in() {
	_lns=$1
	_d=$2
	_mem=$3
	_app=$4
	shift 4
	_k=${SPARC_KERNEL:-build/sparc/zImage}
	_i=${SPARC_INITRD:-build/guest/initramfs.cpio}
	for _f in "$_k" "$_i"; do
		[ -r "$_f" ] || {
			echo "sparc_start_linux: cannot read $_f (make sparc-linux)" >&2
			return 1
		}
	done
	_ic=${SPARC_ICOUNT:-}
	[ -n "$_ic" ] || { [ "${LAB:-}" = 1 ] && _ic=1; } || _ic=0
	case $_ic in
	0) ;;
	1) set -- -icount shift=auto,sleep=off "$@" ;;
	shift=*) set -- -icount "$_ic" "$@" ;;
	*) echo "sparc_start_linux: SPARC_ICOUNT is 0, 1 or QEMU's -icount options (shift=...), not '$_ic'" >&2
	   return 1 ;;
	esac
	_saved_mem=$SPARC_MEM
	SPARC_MEM=${SPARC_LINUX_MEM:-256M}
	_sparc_clock=1
	sparc_start_in "$_lns" "$_d" "$_mem" -kernel "$_k" -initrd "$_i" \
		-append "console=ttyS0 $_app" "$@"
	_rc=$?
	_sparc_clock=
	SPARC_MEM=$_saved_mem
	return $_rc
}

# sparc_console_size DIR: bytes on the console so far (a FROM for below).
sparc_console_size() {
	wc -c < "$1/console.log" 2>/dev/null || echo 0
}

# _sparc_lines FILE FROM: FILE's whole lines from byte FROM (1-based), CRs
# dropped; the last line only once its newline has come (QEMU writes the
# console a character at a time).
_sparc_lines() {
	_nl='
'
	_all=$(tail -c "+$2" "$1" 2>/dev/null | tr -d '\r'; echo .)
	case $_all in
	*"$_nl.") _all=${_all%.} ;;
	*"$_nl"*) _all=${_all%"$_nl"*}$_nl ;;
	*) _all= ;;
	esac
	printf '%s' "$_all"
}

# sparc_wait_console DIR REGEX [TIMEOUT-SECONDS (600)] [FROM-BYTE (0)]:
# wait for a console line matching the extended REGEX after byte FROM;
# print the first such line.
sparc_wait_console() {
	_d=$1
	_end=$(($(date +%s) + ${3:-600}))
	_from=$((${4:-0} + 1))
	until _line=$(_sparc_lines "$_d/console.log" "$_from" |
		grep -E -m 1 -- "$2"); do
		if ! sparc_running "$_d"; then
			echo "sparc_wait_console: QEMU exited; console ends with:" >&2
			tail -n 5 "$_d/console.log" | tr -d '\r' >&2
			cat "$_d/qemu.log" >&2
			return 1
		fi
		if [ "$(date +%s)" -ge "$_end" ]; then
			echo "sparc_wait_console: no line matching '$2' after ${3:-600}s;" \
				"console ends with:" >&2
			tail -n 5 "$_d/console.log" | tr -d '\r' >&2
			return 1
		fi
		sleep 0.5
	done
	echo "$_line"
}

# sparc_field NAME LINE: the value of NAME=VALUE in a guest's status line.
sparc_field() {
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# sparc_verified DIR LINE [TIMEOUT-SECONDS (120)]: wait until the guest's
# status lines show a whole verification pass of its heap after the one
# counted in its status LINE (passes=), at most 600 s, then type "status"
# and print the answer line (its integrity, its longest pause); false if
# the guest does not answer within TIMEOUT.
sparc_verified() {
	_p0=$(sparc_field passes "$2")
	_p=$_p0
	_vend=$(($(date +%s) + 600))
	while [ "${_p:-0}" -le "${_p0:-0}" ] && [ "$(date +%s)" -lt "$_vend" ]; do
		_vfrom=$(sparc_console_size "$1")
		_vl=$(sparc_wait_console "$1" '^ldm-guest: t=' 60 "$_vfrom") || break
		_p=$(sparc_field passes "$_vl")
	done
	_vfrom=$(sparc_console_size "$1")
	sparc_send "$1" status
	sparc_wait_console "$1" '^ldm-guest: t=' "${3:-120}" "$_vfrom"
}

# sparc_send DIR LINE: type LINE and Enter on the guest's console.
sparc_send() {
	printf '%s\r' "$2" > "$1/serial.in"
}

# sparc_pause DIR SECONDS: stop the guest (QMP stop), wait SECONDS, let it
# go on (cont), over one QMP connection; print how long QEMU says it was
# stopped, in ms, from the timestamps of its STOP and RESUME events.
sparc_pause() {
	python3 - "$1/qmp.sock" "$2" <<'EOF'
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect(sys.argv[1])
f = s.makefile("rw")
events = {}
def call(cmd, want_event):
    f.write(json.dumps({"execute": cmd}) + "\n")
    f.flush()
    replied = False
    while not (replied and want_event in events):
        line = f.readline()
        if not line:
            sys.exit("sparc_pause: QEMU closed the QMP socket")
        msg = json.loads(line)
        if "error" in msg:
            sys.exit("sparc_pause: %s: %s" % (cmd, msg["error"]))
        if "return" in msg:
            replied = True
        elif "event" in msg:
            ts = msg["timestamp"]
            events[msg["event"]] = ts["seconds"] + ts["microseconds"] / 1e6
f.readline()  # greeting
f.write(json.dumps({"execute": "qmp_capabilities"}) + "\n")
f.flush()
f.readline()
call("stop", "STOP")
time.sleep(float(sys.argv[2]))
call("cont", "RESUME")
print("%d" % round((events["RESUME"] - events["STOP"]) * 1000))
EOF
}
