-- Events and audiences: best-selling events with their audience's age mix.
select
    event_id,
    organisation_type_name,
    region_name,
    tickets_sold,
    no_show_rate,
    ticket_share_age_14_15,
    ticket_share_age_16_17,
    ticket_share_age_18_19,
    ticket_share_age_20_22
from marts.rpt_event_performance
order by tickets_sold desc, event_id
limit 20
