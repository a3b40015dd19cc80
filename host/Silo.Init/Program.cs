using Silo.Init;

// silo-init: runs the plan the host handed over on descriptor 3, reporting on descriptor 4, then
// starts the target and stays beside it as its reaper until it exits. See InitProcess.
return new InitProcess(planFd: 3, reportFd: 4).Run();
