{%- set numeric_features = [
    'prior_tickets', 'prior_no_show_rate', 'days_since_last_purchase', 'organisation_type_affinity',
    'event_prior_tickets', 'price_relative_to_type', 'price_rub',
] -%}

with

tickets as (

    select * from {{ ref('fct_ticket_attendance') }}

),

-- The model's inputs month by month: a shift in a mean or in the share of missing values
-- against the training months is the first sign the model needs retraining.
monthly as (

    select
        purchase_month,
        count(*) as tickets,
        -- In double: Spark averages decimals (1.0, price_rub) to 5 or 6 decimal places.
        avg(cast(case when prior_tickets = 0 then 1 else 0 end as double)) as first_purchase_share,
        avg(cast(case when is_event_in_home_region then 1 else 0 end as double)) as home_region_share,
        avg(cast(case when prior_no_show_rate is null then 1 else 0 end as double)) as no_show_rate_missing_share,
        {%- for feature in numeric_features %}
            avg(cast({{ feature }} as double)) as {{ feature }}_mean,
            stddev_samp(cast({{ feature }} as double)) as {{ feature }}_stddev,
        {%- endfor %}
        avg(cast(attended as double)) as attendance_rate

    from tickets
    group by purchase_month

),

final as (

    select
        purchase_month as month_start_on,
        tickets,
        cast(first_purchase_share as double) as first_purchase_share,
        cast(home_region_share as double) as home_region_share,
        cast(no_show_rate_missing_share as double) as no_show_rate_missing_share,
        {%- for feature in numeric_features %}
            cast({{ feature }}_mean as double) as {{ feature }}_mean,
            cast({{ feature }}_stddev as double) as {{ feature }}_stddev,
        {%- endfor %}
        cast(attendance_rate as double) as attendance_rate

    from monthly

)

select * from final
