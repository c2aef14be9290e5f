#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tests/helpman.sh [LDMCTL [MANPAGE]]: the help and the man page cannot
# drift apart. For every command, the options that 'ldmctl CMD --help'
# lists in its option column must be the options that ldmctl(8) gives it
# (its SYNOPSIS, its entry under COMMANDS, and its "Options of CMD"
# section if it has one), and its usage line must name no other; the
# options of 'ldmctl help' must be those of the man page's SYNOPSIS and
# OPTIONS; and both must list the same commands. An option in one and not in the other fails its command's
# test, naming it. -h/--help, which every command takes, is left out of
# the commands' comparisons (OPTIONS says every command takes it).
#
# Run by 'make check' in tools/ldmctl; TAP on stdout.
set -u

here=$(cd "$(dirname "$0")" && pwd)
ldmctl=${1:-$here/../ldmctl}
man=${2:-$here/../../../Documentation/ldmctl.8}

# In the man page and not in --help, on purpose: COMMAND:OPTION. The man
# page says so where it describes each.
hidden="migrate:--baseline"

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The options named in the text on stdin, one a line, sorted, unique:
# words "-x" or "--long-name" after a space, bracket, bar, comma, quote
# or parenthesis (so that "user@host" or "x-ignore-shared" are not).
opts() {
	sed 's/^/ /' |
		grep -oE '[][ |,"(]--?[A-Za-z][A-Za-z0-9-]*' |
		sed 's/^.//' | LC_ALL=C sort -u
}

# The options of a --help text on stdin: help_usage, those of its usage
# lines; help_column, those of its option lines (indented at most 6), in
# their first column (up to two spaces). POSIX awk: mawk has no {m,n}.
help_usage() {
	awk '
		/^usage:/ { usage = 1 }
		usage && /^$/ { exit }
		usage { sub(/^usage: ldmctl/, ""); print }
	' | opts
}

help_column() {
	awk '
		/^ +-/ && match($0, /^ +/) && RLENGTH <= 6 {
			sub(/^ +/, ""); sub(/  .*/, ""); print
		}
	' | opts
}

# The man page, roff escapes undone: \- is -, fonts and \c go.
man_text() {
	sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\c//g' -e 's/\\&//g' \
		"$man"
}

# The man page's option mentions, by command: $tmp/man.CMD (SYNOPSIS, COMMANDS entry, "Options of CMD" tags),
# $tmp/man.global (global SYNOPSIS and OPTIONS tags), and the commands of
# the SYNOPSIS in $tmp/man.commands.
man_text | awk -v dir="$tmp" '
	function cmdname(s) {
		sub(/^\.[A-Z]+ +/, "", s)
		gsub(/"/, "", s)
		split(s, w, " ")
		return w[1]
	}
	function out(cmd, line) {
		print line >> (dir "/man." cmd)
	}
	/^\.SH / {
		sect = $2; opt_of = ""; cmd = ""; block = 0; tag = 0
		next
	}
	/^\.SS / {
		opt_of = ""; tag = 0
		if ($0 ~ /^\.SS +Options of /) {
			opt_of = $0; sub(/^\.SS +Options of +/, "", opt_of)
		}
		next
	}
	sect == "SYNOPSIS" && /^\.SY / { block = 1; cmd = ""; first = 1; next }
	sect == "SYNOPSIS" && /^\.YS/ { block = 0; next }
	sect == "SYNOPSIS" && block {
		if (first) {
			first = 0
			if ($0 ~ /^\.B [a-z]/) {
				cmd = cmdname($0)
				print cmd >> (dir "/man.commands")
			} else {
				cmd = "global"
			}
		}
		out(cmd, $0)
		next
	}
	sect == "COMMANDS" && /^\.TP/ { tag = 1; next }
	sect == "COMMANDS" && tag { tag = 0; cmd = cmdname($0) }
	sect == "COMMANDS" && cmd != "" { out(cmd, $0); next }
	opt_of != "" && /^\.TP/ { tag = 1; next }
	opt_of != "" && tag { tag = 0; out(opt_of, $0); next }
	sect == "OPTIONS" && /^\.TP/ { tag = 1; next }
	sect == "OPTIONS" && tag { tag = 0; out("global", $0); next }
'

n=0
fails=0
tap() {
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fails=$((fails + 1))
	fi
}

# compare NAME PREFIX [WHAT]: one test (of options, or WHAT); $tmp/PREFIX.u are the options of the
# usage lines, .h those of the option column, .m the man page's. The
# column must be the man page's, and the usage lines must name no option
# the column lacks. Every difference is named.
compare() {
	only_help=$(LC_ALL=C comm -23 "$tmp/$2.h" "$tmp/$2.m" | tr '\n' ' ')
	only_man=$(LC_ALL=C comm -13 "$tmp/$2.h" "$tmp/$2.m" | tr '\n' ' ')
	only_usage=$(LC_ALL=C comm -23 "$tmp/$2.u" "$tmp/$2.h" | tr '\n' ' ')
	if [ -z "$only_help$only_man$only_usage" ]; then
		tap ok "$1: the help and ldmctl(8) list the same ${3:-options}"
	else
		tap fail "$1: the help and ldmctl(8) differ:${only_help:+ only in the help: $only_help}${only_man:+ only in ldmctl(8): $only_man}${only_usage:+ in the usage line, not among the options: $only_usage}"
	fi
}

if ! "$ldmctl" help > "$tmp/help" 2>&1 || [ ! -s "$man" ]; then
	echo "1..1"
	echo "not ok 1 - run $ldmctl help and read $man"
	exit 1
fi
awk '/^Commands:/ { c = 1; next } c && /^$/ { exit } c { print $1 }' \
	"$tmp/help" | LC_ALL=C sort > "$tmp/help.commands"
LC_ALL=C sort -u "$tmp/man.commands" -o "$tmp/man.commands"

echo "1..$(($(wc -l < "$tmp/help.commands") + 2))"

# The commands: no usage lines to compare.
cp "$tmp/help.commands" "$tmp/c.h"
cp "$tmp/man.commands" "$tmp/c.m"
: > "$tmp/c.u"
compare "ldmctl help" c commands

help_usage < "$tmp/help" > "$tmp/global.u"
help_column < "$tmp/help" > "$tmp/global.h"
opts < "$tmp/man.global" > "$tmp/global.m"
compare "ldmctl help (global options)" global

while read -r cmd; do
	"$ldmctl" "$cmd" --help > "$tmp/help.$cmd" 2>&1
	help_usage < "$tmp/help.$cmd" > "$tmp/$cmd.u"
	help_column < "$tmp/help.$cmd" | grep -vxE -- '-h|--help' \
		> "$tmp/$cmd.h"
	touch "$tmp/man.$cmd"
	opts < "$tmp/man.$cmd" | grep -vxE -- '-h|--help' > "$tmp/$cmd.m"
	for h in $hidden; do
		[ "${h%%:*}" = "$cmd" ] && echo "${h#*:}" >> "$tmp/$cmd.h"
	done
	LC_ALL=C sort -u "$tmp/$cmd.h" -o "$tmp/$cmd.h"
	compare "ldmctl $cmd --help" "$cmd"
done < "$tmp/help.commands"

[ "$fails" = 0 ]
