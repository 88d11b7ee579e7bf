{#- Which purchase days the incremental ticket models rebuild on this run.

    One row per day with what the raw data hold for it (tickets, their total price,
    visits), and on every row the same `rebuild_from_on`. The previous build's copy of
    this table says what the data held then; the first day whose figures differ, and
    the label window before a changed visit day, are rebuilt, and so is everything
    bought in the last label_window_days + late_arrival_lookback_days. A changed
    participant (age, region) or event (type, region), a missing table, or
    --full-refresh rebuilds everything. This model reads the previous tables by name,
    not by ref, because it runs before they are rebuilt. -#}
{{
    config(
        pre_hook=[
            "{{ snapshot_rebuild_boundary('drop') }}",
            "{{ snapshot_rebuild_boundary('copy') }}",
        ],
    )
}}
{%- set window_days = var('label_window_days') -%}
{%- set lookback_days = var('label_window_days') + var('late_arrival_lookback_days') -%}

{%- set previous = {} -%}
{%- for name in ['int_tickets_labelled', 'int_tickets_participant_history', 'int_tickets_event_history',
                 'fct_ticket_attendance', 'dim_participants', 'dim_events'] -%}
    {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ name) -%}
    {%- if execute and node -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if relation is not none -%}{%- do previous.update({name: relation}) -%}{%- endif -%}
    {%- endif -%}
{%- endfor -%}
{%- set previous_self = load_relation(this) if execute else none -%}
{%- set has_previous_build = previous | length == 6 and previous_self is not none and not flags.FULL_REFRESH -%}
-- Read only on an incremental run, so named here for dbt's parser:
-- depends_on: {{ ref('stg_landing__participants') }}
-- depends_on: {{ ref('int_events_enriched') }}

with

tickets as (

    select * from {{ ref('stg_landing__tickets') }}

),

visits as (

    select * from {{ ref('stg_landing__visits') }}

),

source_days as (

    select
        activity_on,
        sum(tickets) as tickets,
        sum(price_rub) as price_rub_total,
        sum(visits) as visits

    from (
        select
            purchased_on as activity_on,
            1 as tickets,
            price_rub,
            0 as visits
        from tickets

        union all

        select
            visited_on as activity_on,
            0 as tickets,
            0 as price_rub,
            1 as visits
        from visits
    ) as activity
    group by activity_on

),

{% if has_previous_build -%}

previous_days as (

    select * from {{ rebuild_boundary_previous() }}

),

-- A visit on day D labels the tickets bought up to label_window_days before D.
first_changed_day as (

    select
        min(
            case
                when
                    coalesce(source_days.visits, 0) != coalesce(previous_days.visits, 0)
                    then cast({{ dbt.dateadd('day', -window_days, 'coalesce(source_days.activity_on, previous_days.activity_on)') }} as date)
                else coalesce(source_days.activity_on, previous_days.activity_on)
            end
        ) as changed_from_on

    from source_days
    full outer join previous_days
        on source_days.activity_on = previous_days.activity_on
    where
        coalesce(source_days.tickets, 0) != coalesce(previous_days.tickets, 0)
        or coalesce(source_days.price_rub_total, 0) != coalesce(previous_days.price_rub_total, 0)
        or coalesce(source_days.visits, 0) != coalesce(previous_days.visits, 0)

),

-- Read only here: a changed description rebuilds everything.
participants as (

    select * from {{ ref('stg_landing__participants') }}

),

events as (

    select * from {{ ref('int_events_enriched') }}

),

changed_descriptions as (

    select count(*) as changes
    from (
        (
            select participant_id, age_years, region_code from participants
            except
            select participant_id, age_years, region_code from {{ previous['dim_participants'] }}
        )
        union all
        (
            select participant_id, age_years, region_code from {{ previous['dim_participants'] }}
            except
            select participant_id, age_years, region_code from participants
        )
        union all
        (
            select event_id, organisation_type, region_code from events
            except
            select event_id, organisation_type, region_code from {{ previous['dim_events'] }}
        )
        union all
        (
            select event_id, organisation_type, region_code from {{ previous['dim_events'] }}
            except
            select event_id, organisation_type, region_code from events
        )
    ) as differences

),

-- The oldest of the incremental tables decides, so a run that stopped halfway is
-- caught up by the next one.
newest_purchases as (

    select min(newest_purchased_on) as newest_purchased_on
    from (
        {%- for name in ['int_tickets_labelled', 'int_tickets_participant_history', 'int_tickets_event_history', 'fct_ticket_attendance'] %}
        select max(purchased_on) as newest_purchased_on from {{ previous[name] }}
        {{ "union all" if not loop.last }}
        {%- endfor %}
    ) as tables

),

boundary as (

    select
        case
            when changed_descriptions.changes > 0 then cast('1900-01-01' as date)
            else
                least(
                    coalesce(
                        cast({{ dbt.dateadd('day', -lookback_days, 'newest_purchases.newest_purchased_on') }} as date),
                        cast('1900-01-01' as date)
                    ),
                    coalesce(first_changed_day.changed_from_on, cast('9999-12-31' as date))
                )
        end as rebuild_from_on

    from newest_purchases
    cross join first_changed_day
    cross join changed_descriptions

),

{%- else %}

    boundary as (

        select cast('1900-01-01' as date) as rebuild_from_on

    ),

{%- endif %}

final as (

    select
        source_days.activity_on,
        source_days.tickets,
        cast(source_days.price_rub_total as decimal(18, 2)) as price_rub_total,
        source_days.visits,
        boundary.rebuild_from_on

    from source_days
    cross join boundary

)

select * from final
