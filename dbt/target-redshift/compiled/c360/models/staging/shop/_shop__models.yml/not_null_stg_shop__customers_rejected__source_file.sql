
    
    



select *
from "c360"."staging"."stg_shop__customers_rejected"
where _source_file is null


