using System.CommandLine;
using Omni.Cli.Commands;

var root = new RootCommand("Omni: run and call the multi-stage omni pipeline (AR language model -> diffusion image model).");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(GenerateCommand.Create());
root.Subcommands.Add(BenchCommand.Create());
return await root.Parse(args).InvokeAsync();
