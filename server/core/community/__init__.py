"""A community's pure core: topics from intake to rated outcome, folded from one log.

A community (社区 / 议事厅) keeps one ordered log beside its rooms' logs, in the
same backends. Its state is a fold of that log by :func:`reducer.apply`, in the
room core's style: arguments parsed by the command's row, role and state checked
before anything changes, a refused command changes nothing. Its public figures
(:mod:`figures`) and views (:mod:`views`) are folds of that state, never a second
source of truth. Nothing here reads a clock, a file or a socket: time is the
entry's ``at``, the calendar is the community's UTC offset (stored at creation),
"today" comes in as an argument.

Modules: :mod:`state` (records and indexes), :mod:`rules` (the state graph, the
roles, the handlers), :mod:`support` (co-signs, ratings and the household codes
that make them count), :mod:`reducer` (apply, precheck, replay), :mod:`figures`
(the statistics), :mod:`views` (what the HTTP API shows).
"""
