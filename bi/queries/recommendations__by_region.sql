-- Recommendations: participants served and the organisation types recommended, per region.
select
    participant_region_code as region_code,
    count(distinct participant_id) as participants,
    count(*) as recommendations,
    count(case when organisation_type = 'cinema' then 1 end) * 1.0 / count(*) as cinema_share
from marts.fct_event_recommendations
group by participant_region_code
order by participants desc, region_code
