from hgrip_standins.runner.cli import main

main()
