import UJMCommandLine

UJMCommand.runMain()
