-- Events and audiences: tickets and no-show rate per organisation type, all ages.
select
    organisation_type,
    organisation_type_name,
    sum(tickets) as tickets,
    1 - sum(tickets_attended) * 1.0 / nullif(sum(tickets_with_final_label), 0) as no_show_rate
from marts.rpt_age_band_organisation_type_activity
group by organisation_type, organisation_type_name
order by tickets desc
