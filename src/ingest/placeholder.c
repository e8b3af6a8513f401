/* placeholder: delete when the module's first real file lands */
typedef int cr_ingest_placeholder_t;
