import UJMCommandLine

UJMCommand.main()
