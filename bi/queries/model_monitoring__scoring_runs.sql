-- Model monitoring: each scoring run, predicted against observed attendance.
select
    run_id,
    model_version,
    as_of_date,
    tickets_scored,
    mean_predicted_probability,
    tickets_with_outcome,
    observed_attendance_rate,
    calibration_gap
from marts.rpt_attendance_model_monitoring
order by scored_at desc
