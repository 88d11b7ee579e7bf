{#- Each event's sales before a cutoff: recent popularity overall, its trend, its price,
    and its rank among the events of its region, of its region and type, and nationally.
    Only events that sold in the lookback before the cutoff can be recommended. -#}
{%- set lookback_days = var('recommendation_lookback_days') -%}

with

cutoffs as (

    select * from {{ ref('int_recommendation_cutoffs') }}

),

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

events as (

    select * from {{ ref('int_events_enriched') }}

),

recent_sales as (

    select
        cutoffs.cutoff_on,
        tickets.event_id,
        count(*) as tickets_recent,
        count(
            case when tickets.purchased_on >= {{ dbt.dateadd('day', -14, 'cutoffs.cutoff_on') }} then 1 end
        ) as tickets_last_14_days,
        avg(cast(tickets.price_rub as double)) as avg_price_rub  -- double: Spark's decimal avg keeps 6 places

    from cutoffs
    inner join tickets
        on
            tickets.purchased_on < cutoffs.cutoff_on
            and tickets.purchased_on >= {{ dbt.dateadd('day', -lookback_days, 'cutoffs.cutoff_on') }}
    group by cutoffs.cutoff_on, tickets.event_id

),

final as (

    select
        recent_sales.cutoff_on,
        recent_sales.event_id,
        events.organisation_type,
        events.region_code,
        recent_sales.tickets_recent,
        recent_sales.tickets_last_14_days,
        -- Trend: the last two weeks against the lookback's weekly average (1 = steady).
        cast(recent_sales.tickets_last_14_days * {{ lookback_days }} as double) / (14 * recent_sales.tickets_recent)
            as sales_trend,
        cast(recent_sales.avg_price_rub as double) as avg_price_rub,
        row_number() over (
            partition by recent_sales.cutoff_on, events.region_code
            order by recent_sales.tickets_recent desc, recent_sales.event_id asc
        ) as region_rank,
        row_number() over (
            partition by recent_sales.cutoff_on, events.region_code, events.organisation_type
            order by recent_sales.tickets_recent desc, recent_sales.event_id asc
        ) as region_type_rank,
        row_number() over (
            partition by recent_sales.cutoff_on
            order by recent_sales.tickets_recent desc, recent_sales.event_id asc
        ) as national_rank

    from recent_sales
    inner join events
        on recent_sales.event_id = events.event_id

)

select * from final
