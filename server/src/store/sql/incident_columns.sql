id, category, source, priority, lon, lat, grid, area, description, photos, reporter,
    reporter_staff, state, report_only, assignee_staff, assignee_department, merged_into,
    possible_duplicate_of, rework_count, extension_hours, step_extension_hours,
    pending_extension, created_ms, updated_ms, step_started_ms, handled_ms, closed_ms, on_time,
    step_times, version, chain, assignee_limits, intake
