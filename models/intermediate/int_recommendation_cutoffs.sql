{%- set window_days = var('recommendation_window_days') -%}
{%- set lookback_days = var('recommendation_lookback_days') -%}

with

tickets as (

    select * from {{ ref('int_tickets_labelled') }}

),

data_range as (

    select * from {{ ref('int_data_as_of') }}

),

month_starts as (

    select distinct cast({{ dbt.date_trunc('month', 'purchased_on') }} as date) as cutoff_on
    from tickets

),

-- A cutoff teaches or judges only once its whole window is in the data, and only with
-- enough history before it to describe participants and events.
complete_cutoffs as (

    select
        month_starts.cutoff_on,
        row_number() over (order by month_starts.cutoff_on desc) as recency_rank

    from month_starts
    cross join data_range
    where
        {{ dbt.dateadd('day', window_days - 1, 'month_starts.cutoff_on') }} <= data_range.as_of_date
        and month_starts.cutoff_on >= {{ dbt.dateadd('day', lookback_days, 'data_range.first_purchased_on') }}

),

labelled_cutoffs as (

    select
        cutoff_on,
        recency_rank = 1 as is_evaluation_cutoff,
        false as is_serving_cutoff

    from complete_cutoffs
    where recency_rank <= {{ var('recommendation_training_cutoffs') }} + 1

),

serving_cutoff as (

    select
        {% if var('recommendation_cutoff') -%}
            cast('{{ var("recommendation_cutoff") }}' as date)
        {%- else -%}
            cast({{ dbt.dateadd('day', 1, 'as_of_date') }} as date)
        {%- endif %} as cutoff_on,
        false as is_evaluation_cutoff,
        true as is_serving_cutoff

    from data_range

),

final as (

    select
        cast(cutoff_on as date) as cutoff_on,
        cast({{ dbt.dateadd('day', window_days - 1, 'cutoff_on') }} as date) as window_ends_on,
        is_evaluation_cutoff,
        is_serving_cutoff

    from (
        select * from labelled_cutoffs
        union all
        select * from serving_cutoff
    ) as cutoffs

)

select * from final
