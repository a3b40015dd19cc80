// Does nothing: what is measured is the .NET runtime starting and stopping.
return 0;
