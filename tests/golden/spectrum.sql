create external schema if not exists raw_shop
from data catalog
database 'c360_raw_shop'
iam_role default
create external database if not exists;

create external schema if not exists raw_web
from data catalog
database 'c360_raw_web'
iam_role default
create external database if not exists;

create external table raw_shop.customers (
    customer_id varchar(65535),
    first_name varchar(65535),
    last_name varchar(65535),
    email varchar(65535),
    phone varchar(65535),
    birth_date varchar(65535),
    gender varchar(65535),
    city varchar(65535),
    state varchar(65535),
    postal_code varchar(65535),
    country_code varchar(65535),
    signup_at varchar(65535),
    marketing_opt_in varchar(65535),
    updated_at varchar(65535)
)
partitioned by (ingest_date date)
row format serde 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
with serdeproperties ('separatorChar' = ',', 'quoteChar' = '"', 'wholeFile' = 'true')
stored as textfile
location 's3://c360-lake/lake/raw/shop/customers/'
table properties ('skip.header.line.count' = '1');

create external table raw_shop.products (
    product_id varchar(65535),
    product_name varchar(65535),
    category varchar(65535),
    subcategory varchar(65535),
    brand varchar(65535),
    unit_price varchar(65535),
    unit_cost varchar(65535),
    is_active varchar(65535),
    updated_at varchar(65535)
)
partitioned by (ingest_date date)
row format serde 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
with serdeproperties ('separatorChar' = ',', 'quoteChar' = '"', 'wholeFile' = 'true')
stored as textfile
location 's3://c360-lake/lake/raw/shop/products/'
table properties ('skip.header.line.count' = '1');

create external table raw_shop.transactions (
    transaction_id varchar(65535),
    order_id varchar(65535),
    customer_id varchar(65535),
    product_id varchar(65535),
    quantity varchar(65535),
    unit_price varchar(65535),
    discount_amount varchar(65535),
    channel varchar(65535),
    payment_method varchar(65535),
    status varchar(65535),
    ordered_at varchar(65535),
    updated_at varchar(65535)
)
partitioned by (ingest_date date)
row format serde 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
with serdeproperties ('separatorChar' = ',', 'quoteChar' = '"', 'wholeFile' = 'true')
stored as textfile
location 's3://c360-lake/lake/raw/shop/transactions/'
table properties ('skip.header.line.count' = '1');

create external table raw_web.events (
    event_id varchar(65535),
    event_type varchar(65535),
    occurred_at varchar(65535),
    anonymous_id varchar(65535),
    customer_id varchar(65535),
    page_url varchar(65535),
    referrer_url varchar(65535),
    utm_source varchar(65535),
    utm_medium varchar(65535),
    utm_campaign varchar(65535),
    device_type varchar(65535),
    product_id varchar(65535),
    order_id varchar(65535),
    search_query varchar(65535),
    country_code varchar(65535),
    city varchar(65535),
    _kinesis_shard_id varchar(65535),
    _kinesis_sequence_number varchar(65535),
    _kinesis_arrival_at varchar(65535),
    _landed_at varchar(65535)
)
partitioned by (dt date, hr varchar(2))
row format serde 'org.openx.data.jsonserde.JsonSerDe'
stored as textfile
location 's3://c360-lake/lake/raw/web/events/';

create external table raw_web.events_compacted (
    event_id varchar(65535),
    event_type varchar(65535),
    occurred_at timestamp,
    anonymous_id varchar(65535),
    customer_id varchar(65535),
    page_url varchar(65535),
    referrer_url varchar(65535),
    utm_source varchar(65535),
    utm_medium varchar(65535),
    utm_campaign varchar(65535),
    device_type varchar(65535),
    product_id varchar(65535),
    order_id varchar(65535),
    search_query varchar(65535),
    country_code varchar(65535),
    city varchar(65535),
    _kinesis_shard_id varchar(65535),
    _kinesis_sequence_number varchar(65535),
    _kinesis_arrival_at timestamp,
    _landed_at timestamp,
    _source_file varchar(65535)
)
partitioned by (dt date, hr varchar(2))
stored as parquet
location 's3://c360-lake/lake/compacted/web/events/';

alter table raw_shop.customers add if not exists
partition (ingest_date = '2025-12-01') location 's3://c360-lake/lake/raw/shop/customers/ingest_date=2025-12-01/'
partition (ingest_date = '2025-12-02') location 's3://c360-lake/lake/raw/shop/customers/ingest_date=2025-12-02/';

alter table raw_shop.products add if not exists
partition (ingest_date = '2025-12-01') location 's3://c360-lake/lake/raw/shop/products/ingest_date=2025-12-01/';

alter table raw_shop.transactions add if not exists
partition (ingest_date = '2025-12-01') location 's3://c360-lake/lake/raw/shop/transactions/ingest_date=2025-12-01/';

alter table raw_web.events add if not exists
partition (dt = '2025-12-01', hr = '10') location 's3://c360-lake/lake/raw/web/events/dt=2025-12-01/hr=10/'
partition (dt = '2025-12-01', hr = '11') location 's3://c360-lake/lake/raw/web/events/dt=2025-12-01/hr=11/';

alter table raw_web.events_compacted add if not exists
partition (dt = '2025-12-01', hr = '10') location 's3://c360-lake/lake/compacted/web/events/dt=2025-12-01/hr=10/';
