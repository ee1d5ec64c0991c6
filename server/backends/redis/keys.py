"""The Redis key layout of Yishi, and the Lua scripts that write it.

Per room (the room id in braces is a Redis Cluster hash tag, so one room's keys
and its script always live on one shard):

    yishi:{room}:seq    string   last seq appended (0 / missing: no entries)
    yishi:{room}:durable string  the durable mark: the last seq known to be as durable
                                 as the operator asked (replicas confirmed it); nothing
                                 past it is shown (see redis_durable.py; missing: a log
                                 from before the mark, whose seq is its mark)
    yishi:{room}:log    stream   one entry per seq, id "<seq>-0",
                                 fields a = at (Unix ms), b = the MessagePack body
    yishi:{room}:epoch  string   the log's epoch, made anew by the first node that finds
                                 the log lost entries it delivered (missing: "", the
                                 epoch of a log that never lost any)
    yishi:{room}:snap   hash     seq, blob: the newest state snapshot
    yishi:{room}:ch     channel  "<seq> <at> <body>" for every entry appended
    yishi:{room}:rec    set      the turn ids the room has audio kept for (recordings)
    yishi:{room}:rec:<turn> list  the turn's kept audio frames, MessagePack
                                 [speaker, seq, ts, data] each, in the order kept
    yishi:{room}:au     channel  "<node id> <frame>" for every audio frame a node relayed

Global:

    yishi:rooms         set      every room id that has (or is about to get) entries
    yishi:secret:<name> string   token-signing key, admin token (SET NX: first wins)
    yishi:ballotkey:<id> string  a secret poll's key, deleted once the poll is counted
    yishi:node:<id>     string   a node's heartbeat, with a TTL (PX)
    yishi:nodes         zset     node ids by last heartbeat (ms), an index for alive_nodes

The append script touches only the room's own keys, so it runs unchanged on a
cluster; the rooms set is written beside it by the client.

On a Redis Cluster (``redis+cluster://``) the per-room keys are the same; the
script publishes with ``SPUBLISH`` (sharded pub/sub: only the shard that owns
the room's slot carries its messages), and the global lists are split:

    yishi:rooms:{rooms-NN}  set   the rooms whose id falls in bucket NN (00-15),
                                 one key per bucket, so the list is spread over
                                 the shards (see :func:`listed_in`)

Secrets, ballot keys and heartbeats keep their names: without a hash tag each
hashes on its own name and lands on whichever shard owns that slot.
"""

from __future__ import annotations

import zlib

PREFIX = "yishi:"
ROOMS = "yishi:rooms"
NODES = "yishi:nodes"
CHANNEL_PATTERN = "yishi:*:ch"
AUDIO_PATTERN = "yishi:*:au"


LIST_BUCKETS = 16  # buckets of a global list on a cluster (never change: data is keyed by it)


def listed_in(kind: str, member: str) -> str:
    """The bucket key of a global list (``"rooms"``, or any other kind of log that
    keeps a list the same way) that holds ``member`` on a cluster. The bucket is a
    stable hash of the member, and the bucket number is the key's hash tag, so the
    buckets, not the members, decide the slots: 16 keys spread over the shards."""
    bucket = zlib.crc32(member.encode()) % LIST_BUCKETS
    return f"yishi:{kind}:{{{kind}-{bucket:02d}}}"


def list_buckets(kind: str) -> list[str]:
    """Every bucket key of a global list on a cluster (read all to list it)."""
    return [f"yishi:{kind}:{{{kind}-{bucket:02d}}}" for bucket in range(LIST_BUCKETS)]


def seq_key(room_id: str) -> str:
    return f"yishi:{{{room_id}}}:seq"


def log_key(room_id: str) -> str:
    return f"yishi:{{{room_id}}}:log"


def durable_key(room_id: str) -> str:
    return f"yishi:{{{room_id}}}:durable"


def epoch_key(room_id: str) -> str:
    return f"yishi:{{{room_id}}}:epoch"


def snap_key(room_id: str) -> str:
    return f"yishi:{{{room_id}}}:snap"


def channel(room_id: str) -> str:
    return f"yishi:{{{room_id}}}:ch"


def room_of_channel(name: bytes) -> str | None:
    """The room id in a channel name from :func:`channel`, or None for anything else."""
    return _room_in(name, b"}:ch")


def recordings_key(room_id: str) -> str:
    return f"yishi:{{{room_id}}}:rec"


def recording_key(room_id: str, turn_id: str) -> str:
    return f"yishi:{{{room_id}}}:rec:{turn_id}"


def audio_channel(room_id: str) -> str:
    return f"yishi:{{{room_id}}}:au"


def room_of_audio_channel(name: bytes) -> str | None:
    """The room id in a channel name from :func:`audio_channel`, or None."""
    return _room_in(name, b"}:au")


def _room_in(name: bytes, suffix: bytes) -> str | None:
    if name.startswith(b"yishi:{") and name.endswith(suffix):
        return name[len(b"yishi:{") : -len(suffix)].decode()
    return None


def secret_key(name: str) -> str:
    return f"yishi:secret:{name}"


def ballot_key(key_id: str) -> str:
    return f"yishi:ballotkey:{key_id}"


def node_key(node_id: str) -> str:
    return f"yishi:node:{node_id}"


# KEYS: seq, log, durable. ARGV: body, channel, now (ms; "" = use Redis TIME), held.
# Numbering, storing and publishing happen in one atomic script. The seq key is
# written after XADD (not INCRed before it) so that a failing XADD leaves no hole.
# `at` = max(now, the previous entry's at): time never runs backwards in a room.
# held = "0": durable once stored (no replica to wait for): published and marked at
# once. held = "1": replicas must confirm it first (WAIT), so it is neither published
# nor marked here (CONFIRM does both after WAIT); a log without a mark yet gets one
# at the entry before, so that this one is not taken for shown.
APPEND = """
local seq = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
local now
if ARGV[3] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
else
  now = tonumber(ARGV[3])
end
local at = now
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)[1]
if last then
  local fields = last[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'a' then
      local prev = tonumber(fields[i + 1])
      if prev > at then at = prev end
    end
  end
end
local id = string.format('%d-0', seq)
local stamp = string.format('%d', at)
redis.call('XADD', KEYS[2], id, 'a', stamp, 'b', ARGV[1])
redis.call('SET', KEYS[1], seq)
if ARGV[4] == '1' then
  redis.call('SET', KEYS[3], seq - 1, 'NX')
else
  redis.call('SET', KEYS[3], seq)
  redis.call('PUBLISH', ARGV[2], string.format('%d', seq) .. ' ' .. stamp .. ' ' .. ARGV[1])
end
return {seq, at}
"""

# KEYS: durable. ARGV: seq, channel, message... After WAIT confirmed a held append:
# the mark only rises (an older confirmation arriving late changes nothing), and the
# entries' messages ("<seq> <at> <body>", in seq order) leave only now.
CONFIRM = """
if tonumber(redis.call('GET', KEYS[1]) or '0') < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1])
end
for i = 3, #ARGV do
  redis.call('PUBLISH', ARGV[2], ARGV[i])
end
return 1
"""

# KEYS: epoch. ARGV: the epoch the node held, a new one. Every node that finds the
# same loss replaces the same epoch: the first one's new epoch is the one all keep.
NEW_EPOCH = """
local current = redis.call('GET', KEYS[1]) or ''
if current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return ARGV[2]
end
return current
"""

# KEYS: snap. ARGV: seq, blob. Keeps only the newest snapshot.
SAVE_SNAPSHOT = """
local stored = tonumber(redis.call('HGET', KEYS[1], 'seq') or '-1')
if tonumber(ARGV[1]) >= stored then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'blob', ARGV[2])
  return 1
end
return 0
"""

# The same script for a cluster: sharded pub/sub, so the message leaves only from
# the shard that owns the room (the channel carries the room's hash tag).
APPEND_SHARDED = APPEND.replace("redis.call('PUBLISH'", "redis.call('SPUBLISH'")
CONFIRM_SHARDED = CONFIRM.replace("redis.call('PUBLISH'", "redis.call('SPUBLISH'")
assert APPEND_SHARDED != APPEND and CONFIRM_SHARDED != CONFIRM
