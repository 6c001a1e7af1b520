incident, seq, at_ms, action, from_state, to_state, actor, actor_role, actor_area, comment,
    photos, detail
