from ingest.ingest import main

raise SystemExit(main())
