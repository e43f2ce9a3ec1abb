from dmsurvey.cli import main

main()
