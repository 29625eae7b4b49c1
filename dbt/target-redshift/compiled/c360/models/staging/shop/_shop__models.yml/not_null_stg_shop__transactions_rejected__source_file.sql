
    
    



select *
from "c360"."staging"."stg_shop__transactions_rejected"
where _source_file is null


