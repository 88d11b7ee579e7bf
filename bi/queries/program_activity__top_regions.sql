-- Program activity: the ten regions with most tickets, with their no-show rate.
select
    region_code,
    region_name,
    sum(tickets) as tickets,
    sum(revenue_rub) as revenue_rub,
    1 - sum(tickets_attended) * 1.0 / nullif(sum(tickets_with_final_label), 0) as no_show_rate
from marts.rpt_region_monthly_activity
group by region_code, region_name
order by tickets desc, region_code
limit 10
