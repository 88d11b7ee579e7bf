-- Program activity: tickets, revenue and attendance per month, all regions.
select
    month_start_on,
    sum(active_participants) as active_participants_summed_over_regions,
    sum(tickets) as tickets,
    sum(revenue_rub) as revenue_rub,
    sum(tickets_attended) * 1.0 / nullif(sum(tickets_with_final_label), 0) as attendance_rate
from marts.rpt_region_monthly_activity
group by month_start_on
order by month_start_on
