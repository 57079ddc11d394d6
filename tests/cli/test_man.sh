#!/bin/sh
# tests/cli/test_man.sh: the man page (docs/coscope.1) documents what the
# programs say they take. Every option a command's --help names appears in
# that command's part of the page (its SYNOPSIS line or its COMMANDS entry;
# `view`: every option of coscope-view --help), and every environment
# variable a --help text names or the sources read (getenv) is in the
# ENVIRONMENT section — but for the test hook COSCOPE_VIEW_SCRIPT and
# COSCOPE_REPLAY_NOTES, which `coscope replay` sets for its own child.
# usage: test_man.sh COSCOPE MANPAGE SRCDIR [COSCOPE_VIEW]
set -eu
coscope=$1 man=$2 src=$3 view=${4:-}
fail=0 checked=0

# The lines of the page from the first line equal to $1 up to (not
# including) the next line matching the regex $2.
part() {
    awk -v start="$1" -v stop="$2" '
        on && $0 ~ stop { on = 0 }
        on { print }
        $0 == start { on = 1 }' "$man"
}

# Options in a --help text: -x or --name at the start of a word.
options() {
    grep -oE '(^|[][ (|,"])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[][ (|,"]//' | sort -u
}

# troff spells "-" as "\-"; the option must stand alone (not the start of a
# longer one: --gdb in --gdb-x).
in_man() {
    esc=$(printf '%s' "$1" | sed 's/-/\\\\-/g')
    printf '%s\n' "$2" | grep -qE -- "$esc"'($|[^A-Za-z0-9\\])'
}

check_command() { # NAME HELP-TEXT
    text=$(part ".B coscope $1" '^\.br$'; part ".B $1" '^\.(TP|SH)')
    [ -n "$text" ] || { echo "coscope.1: no part for '$1'"; fail=1; return; }
    for o in $(printf '%s\n' "$2" | options); do
        case "$1 $o" in
        # gdb's own flags, quoted in replay's help (gdb -ex run --args, -batch -x)
        "replay --args" | "replay -ex" | "replay -batch" | "replay -x") continue ;;
        # every command takes -h / --help
        *" -h" | *" --help") continue ;;
        esac
        checked=$((checked + 1))
        in_man "$o" "$text" || { echo "coscope.1: '$1' does not document $o"; fail=1; }
    done
}

commands=$("$coscope" --help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { print $1 }')
[ "$(printf '%s\n' "$commands" | wc -l)" -ge 10 ] || { echo "too few commands: $commands"; exit 1; }
for c in $commands; do
    if [ "$c" = view ]; then
        [ -n "$view" ] || continue
        help=$("$view" --help)
    else
        help=$("$coscope" "$c" --help)
    fi
    check_command "$c" "$help"
done
top=$("$coscope" --help)
for o in $(printf '%s\n' "$top" | options); do
    case $o in -h | --help) continue ;; esac
    checked=$((checked + 1))
    in_man "$o" "$(cat "$man")" || { echo "coscope.1: does not document $o (coscope --help)"; fail=1; }
done

env=$(part ".SH ENVIRONMENT" '^\.SH')
helps=$(for c in $commands; do [ "$c" = view ] || "$coscope" "$c" --help; done
        printf '%s\n' "$top"; [ -z "$view" ] || "$view" --help)
vars=$( (printf '%s\n' "$helps" | grep -oE '(COSCOPE_[A-Z_]+|XDG_STATE_HOME)' || true
         grep -rhoE 'getenv\("(COSCOPE_[A-Z_]+|XDG_STATE_HOME)"\)' "$src/runtime" "$src/tracer" \
             "$src/viewer" | sed 's/getenv("\(.*\)")/\1/') | sort -u)
for v in $vars; do
    case $v in COSCOPE_VIEW_SCRIPT | COSCOPE_REPLAY_NOTES) continue ;; esac
    checked=$((checked + 1))
    esc=$(printf '%s' "$v" | sed 's/_/\\\\?_/g')
    printf '%s\n' "$env" | grep -qE "^\.B $esc( |\$)" ||
        { echo "coscope.1: ENVIRONMENT has no entry for $v"; fail=1; }
done
echo "checked $checked names"
[ "$checked" -ge 60 ] || { echo "too few names checked"; fail=1; }
exit $fail
