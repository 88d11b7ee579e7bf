from pipeline.run import main

raise SystemExit(main())
