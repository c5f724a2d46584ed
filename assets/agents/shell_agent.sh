#!/bin/sh
# A Switchyard agent in POSIX sh (sed and printf only, no jq): says hello, then answers each task
# with a result echoing its description, and exits on `shutdown` or at the end of its input.
#
#   sh assets/agents/shell_agent.sh [AGENT_ID] [CAPABILITY]   # defaults: shell, echo
#
# It relies on the coordinator writing each message on one line with `type` first and the fields
# in the documented order, without spaces (see assets/protocol.md); a real agent should use a JSON
# parser. Copying a JSON string's contents verbatim (escapes included) keeps it valid JSON.

id=${SWITCHYARD_AGENT_ID:-${1:-shell}}
cap=${2:-echo}

printf '{"type":"hello","protocol":1,"agent":"%s","capabilities":["%s"]}\n' "$id" "$cap"

# The contents of a JSON string: no quote or backslash, or a backslash and any character.
str='[^"\\]*\(\\.[^"\\]*\)*'

while IFS= read -r line; do
    type=$(printf '%s\n' "$line" | sed -n 's/^{"type":"\([a-z_]*\)".*/\1/p')
    case $type in
    task)
        head="^{\"type\":\"task\",\"id\":\"$str\",\"attempt\":"
        task=$(printf '%s\n' "$line" | sed -n "s/^{\"type\":\"task\",\"id\":\"\($str\)\",.*/\1/p")
        attempt=$(printf '%s\n' "$line" | sed -n "s/$head\([0-9]*\),.*/\2/p")
        description=$(printf '%s\n' "$line" |
            sed -n "s/$head[0-9]*,\"capability\":\"$str\",\"description\":\"\($str\)\",.*/\3/p")
        printf '{"type":"result","task":"%s","attempt":%s,"output":{"echo":"%s","by":"%s"}}\n' \
            "$task" "${attempt:-0}" "$description" "$id"
        ;;
    shutdown)
        exit 0
        ;;
    cfp)
        auction=$(printf '%s\n' "$line" | sed -n "s/^{\"type\":\"cfp\",\"auction\":\"\($str\)\".*/\1/p")
        printf '{"type":"decline","auction":"%s","reason":"shell agents do not bid"}\n' "$auction"
        ;;
    ballot)
        proposal=$(printf '%s\n' "$line" | sed -n "s/^{\"type\":\"ballot\",\"proposal\":\"\($str\)\".*/\1/p")
        printf '{"type":"vote","proposal":"%s","choice":"abstain"}\n' "$proposal"
        ;;
    cancel | help_request | help_response) ;;
    *)
        printf '{"type":"log","level":"error","message":"unknown message type"}\n'
        ;;
    esac
done
